using Ep.Generators.Model;

namespace Ep.Generators.Emit;

/// <summary>
/// Writes the instance side of a layer that is not an operation: the runtime field, the constructor that binds the
/// layer to a group (and re-checks the rules at the real rank count), the group accessors and <c>Dispose</c>.
/// </summary>
internal static class LayerLifetimeWriter
{
    public const string RuntimeField = "__ep";

    public static void Write(SourceWriter writer, LayerModel layer)
    {
        writer.GeneratedCode();
        writer.Line("private readonly global::Ep.EpLayerRuntime " + RuntimeField + ";");
        writer.Line();

        writer.Summary("Creates this layer on <paramref name=\"group\"/>: checks the layer's rules at the group's rank count and allocates the engine's buffers. Collective: every rank creates its layers in the same order.");
        writer.Param("group", "The expert-parallel group the layer runs on; dispose the layer before the group.");
        writer.Exception("global::Ep.EpConfigurationException", "The layer breaks a rule at the group's rank count, e.g. Experts is not divisible by it.");
        writer.GeneratedCode();
        writer.Open("public " + CSharpLiterals.Identifier(layer.TypeName) + "(global::Ep.EpGroup group)");
        writer.Line(RuntimeField + " = new global::Ep.EpLayerRuntime(group, Spec, KernelSource, " + CSharpLiterals.Quoted(layer.FullName) + ");");
        writer.Close();
        writer.Line();

        writer.Summary("The group this layer runs on.");
        writer.GeneratedCode();
        writer.Line("public global::Ep.EpGroup Group => " + RuntimeField + ".Group;");
        writer.Line();

        writer.Summary("The engine that runs this layer.");
        writer.GeneratedCode();
        writer.Line("public global::Ep.EpEngineKind Engine => " + RuntimeField + ".EngineKind;");
        writer.Line();

        writer.Summary("L, the experts each rank owns: Experts / the group's rank count.");
        writer.GeneratedCode();
        writer.Line("public int LocalExperts => " + RuntimeField + ".LocalExperts;");
        writer.Line();

        writer.Summary("Releases the layer's buffers and detaches it from its group.");
        writer.GeneratedCode();
        writer.Open("public void Dispose()");
        writer.Line(RuntimeField + ".Dispose();");
        writer.Line("global::System.GC.SuppressFinalize(this);");
        writer.Close();
        writer.Line();
    }
}
