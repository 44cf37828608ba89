using Ep.Generators.Model;

namespace Ep.Generators.Emit;

/// <summary>
/// Writes a layer's compile-time constants, its <c>Spec</c>, <c>PlanMemory</c> and <c>KernelSource</c>: everything a
/// caller can read without a group.
/// </summary>
internal static class LayerConstantsWriter
{
    public static void Write(SourceWriter writer, LayerModel layer)
    {
        EpLayerSpec spec = layer.Spec;
        Constant(writer, "int", "Experts", CSharpLiterals.Int(spec.Experts),
            "Total experts E across all ranks.");
        Constant(writer, "int", "TopK", CSharpLiterals.Int(spec.TopK),
            "Experts chosen per token K: the columns of <c>topkIdx</c> and <c>topkWeights</c>.");
        Constant(writer, "int", "HiddenSize", CSharpLiterals.Int(spec.HiddenSize),
            "Hidden size H: the elements of every token row.");
        Constant(writer, "int", "MaxTokensPerRank", CSharpLiterals.Int(spec.MaxTokensPerRank),
            "The most tokens one rank may pass to one <c>Dispatch</c> call.");
        Constant(writer, "int", "RecvCapacityPerRank", CSharpLiterals.Int(spec.RecvCapacityPerRank),
            "Declared receive capacity per rank in rows; 0 means the dropless default, ranks × <c>MaxTokensPerRank</c>.");
        Constant(writer, "int", "ExpertAlignment", CSharpLiterals.Int(spec.EffectiveAlignment),
            "Rows each local expert's group is padded to in the ExpertMajor layout (1 = no padding).");
        Constant(writer, "int", "Ranks", CSharpLiterals.Int(spec.Ranks),
            "World size declared at compile time, or 0 when it is known only at run time.");
        Constant(writer, "bool", "ApplyWeightsInCombine", CSharpLiterals.Bool(spec.ApplyWeightsInCombine),
            "Whether <c>Unpermute</c> multiplies each expert output by its routing weight.");
        Constant(writer, "bool", "ZeroCopy", CSharpLiterals.Bool(spec.ZeroCopy),
            "Whether the forward buffers that peers access are symmetric memory (<c>SymmetricTensor</c>).");
        Constant(writer, "global::Ep.EpLayout", "Layout", CSharpLiterals.Enum(spec.Layout),
            "How the rows a rank receives from <c>Dispatch</c> are laid out.");
        Constant(writer, "global::Ep.EpAlgorithm", "Algorithm", CSharpLiterals.Enum(spec.Algorithm),
            "The family of expert-parallel kernels this layer targets.");
        Constant(writer, "global::Ep.EpPayload", "Payload", CSharpLiterals.Enum(spec.Payload),
            "Element type of the token rows that dispatch and combine move.");

        writer.Summary("Every constant of this layer as declared, for engines, the memory planner and tools.");
        writer.GeneratedCode();
        writer.Line("public static global::Ep.EpLayerSpec Spec { get; } = new global::Ep.EpLayerSpec");
        writer.Line("{");
        writer.Line("    Experts = " + CSharpLiterals.Int(spec.Experts) + ",");
        writer.Line("    TopK = " + CSharpLiterals.Int(spec.TopK) + ",");
        writer.Line("    HiddenSize = " + CSharpLiterals.Int(spec.HiddenSize) + ",");
        writer.Line("    MaxTokensPerRank = " + CSharpLiterals.Int(spec.MaxTokensPerRank) + ",");
        writer.Line("    Payload = " + CSharpLiterals.Enum(spec.Payload) + ",");
        writer.Line("    Layout = " + CSharpLiterals.Enum(spec.Layout) + ",");
        writer.Line("    Algorithm = " + CSharpLiterals.Enum(spec.Algorithm) + ",");
        writer.Line("    RecvCapacityPerRank = " + CSharpLiterals.Int(spec.RecvCapacityPerRank) + ",");
        writer.Line("    ExpertAlignment = " + CSharpLiterals.Int(spec.ExpertAlignment) + ",");
        writer.Line("    ApplyWeightsInCombine = " + CSharpLiterals.Bool(spec.ApplyWeightsInCombine) + ",");
        writer.Line("    ZeroCopy = " + CSharpLiterals.Bool(spec.ZeroCopy) + ",");
        writer.Line("    Ranks = " + CSharpLiterals.Int(spec.Ranks) + ",");
        writer.Line("    MemoryBudgetGiB = " + CSharpLiterals.Double(spec.MemoryBudgetGiB) + ",");
        writer.Line("};");
        writer.Line();

        writer.Summary("Worst-case device memory of one rank for this layer at <paramref name=\"ranks\"/> ranks.");
        writer.Param("ranks", "The world size to plan for; positive.");
        writer.Returns("Rows and bytes of the receive buffers Dispatch writes on each rank, and each GPU engine's whole footprint per rank.");
        writer.GeneratedCode();
        writer.Line("public static global::Ep.EpMemoryPlan PlanMemory(int ranks) => global::Ep.EpLayerMemory.Plan(Spec, ranks);");
        writer.Line();

        writer.Summary("The CUDA source of this layer's kernels, with the layer's constants as <c>#define</c>s; compiled by NVRTC and cached by its exact text.");
        writer.GeneratedCode();
        writer.Line("public static string KernelSource => " + KernelSourceWriter.ConstantReference + ";");
        writer.Line();
    }

    private static void Constant(SourceWriter writer, string type, string name, string value, string summary)
    {
        writer.Summary(summary);
        writer.GeneratedCode();
        writer.Line("public const " + type + " " + name + " = " + value + ";");
        writer.Line();
    }
}
