using Ep.Generators.Model;

namespace Ep.Generators.Emit;

/// <summary>File names of generated sources: <c>{Namespace}.{Type}.Ep.g.cs</c> and <c>{Namespace}.{Type}.Kernels.g.cs</c>.</summary>
internal static class HintNames
{
    public static string Layer(LayerModel layer) => layer.FullName + ".Ep.g.cs";

    public static string Kernels(LayerModel layer) => layer.FullName + ".Kernels.g.cs";
}
