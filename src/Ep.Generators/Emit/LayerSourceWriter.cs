using Ep.Generators.Model;

namespace Ep.Generators.Emit;

/// <summary>
/// Writes <c>{Namespace}.{Type}.Ep.g.cs</c>: the layer's constants, <c>Spec</c>, <c>PlanMemory</c>, <c>KernelSource</c>,
/// constructor, group accessors, <c>Dispose</c> and the eight operations.
/// </summary>
internal static class LayerSourceWriter
{
    public static string Write(LayerModel layer)
    {
        var writer = new SourceWriter();
        LayerTypeScope.Open(writer, layer, " : global::System.IDisposable");
        LayerConstantsWriter.Write(writer, layer);
        LayerLifetimeWriter.Write(writer, layer);
        LayerOperationsWriter.Write(writer, layer);
        LayerTypeScope.Close(writer, layer);
        return writer.ToString();
    }
}
