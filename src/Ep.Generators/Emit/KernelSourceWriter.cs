using Ep.Generators.Model;

namespace Ep.Generators.Emit;

/// <summary>
/// Writes <c>{Namespace}.{Type}.Kernels.g.cs</c>: the layer's CUDA source as one string constant in a private nested
/// class. One constant, not pieces joined at run time, so the text NVRTC compiles (and its cache key) is exactly
/// what the generator wrote; a verbatim literal, so it compiles under every C# version.
/// </summary>
internal static class KernelSourceWriter
{
    public const string HolderClass = "__EpKernels";
    public const string SourceConstant = "Source";

    /// <summary>How the layer's other file refers to the constant.</summary>
    public const string ConstantReference = HolderClass + "." + SourceConstant;

    public static string Write(LayerModel layer) => Write(layer, CudaSourceBuilder.Build(layer));

    public static string Write(LayerModel layer, string cudaSource)
    {
        var writer = new SourceWriter();
        LayerTypeScope.Open(writer, layer);
        writer.Summary("The CUDA source of " + layer.TypeName + "'s kernels.");
        writer.GeneratedCode();
        writer.Open("private static class " + HolderClass);
        writer.Summary("The complete NVRTC input: the layer's constants as <c>#define</c>s, then the kernels.");
        writer.Line("internal const string " + SourceConstant + " = " + CSharpLiterals.Verbatim(cudaSource) + ";");
        writer.Close();
        LayerTypeScope.Close(writer, layer);
        return writer.ToString();
    }
}
