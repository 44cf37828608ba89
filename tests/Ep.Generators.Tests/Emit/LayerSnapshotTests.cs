using System.Linq;
using Ep.Generators.Tests.Support;
using Xunit;

namespace Ep.Generators.Tests.Emit;

/// <summary>
/// The generated layer file (<c>.Ep.g.cs</c>) and the CUDA source (<c>.cu</c>, the value of the generated constant)
/// of representative layers, against approved snapshots in <c>tests/snapshots</c>.
/// </summary>
public sealed class LayerSnapshotTests
{
    [Fact]
    public void Default_layer() => Verify(LayerSources.DeepSeek, "Samples.DeepSeekMoe", "DefaultLayer");

    [Fact]
    public void Expert_major_layout_with_alignment() => Verify(LayerSources.ExpertMajor, "Samples.GroupedGemmMoe", "ExpertMajorAligned");

    [Fact]
    public void Zero_copy_layer() => Verify(LayerSources.ZeroCopy, "Samples.ZeroCopyMoe", "ZeroCopyLayer");

    [Fact]
    public void Weights_applied_in_combine_with_static_ranks() => Verify(LayerSources.Weighted, "Samples.WeightedMoe", "WeightedLayer");

    [Fact]
    public void Layer_nested_in_a_partial_class_and_record_in_a_nested_namespace() =>
        Verify(LayerSources.Nested, "Company.Models.Moe.Transformer.Block.FeedForward", "NestedLayer");

    [Fact]
    public void Low_latency_layer_in_the_global_namespace() => Verify(LayerSources.LowLatencyGlobal, "DecodeMoe", "LowLatencyGlobalLayer");

    [Fact]
    public void Kernels_file_wraps_the_cuda_text_in_one_verbatim_constant()
    {
        // The wrapper only, around a fixed text: the real CUDA text is covered by the .cu snapshots, and repeating it
        // here would make every kernel edit re-accept a second file.
        GeneratorRun run = GeneratorHarness.Run(LayerSources.Nested);
        var model = (Ep.Generators.Model.LayerModel)run.Result.TrackedSteps[ExpertParallelLayerGenerator.ModelStep]
            .SelectMany(step => step.Outputs).Single().Value;

        string generated = Ep.Generators.Emit.KernelSourceWriter.Write(model, "// kernels\n#define GREETING \"hi\"\n");

        Snapshot.Match(generated, "NestedLayer.Kernels", "cs");
    }

    private static void Verify(string userSource, string fullName, string snapshotName)
    {
        GeneratorRun run = GeneratorHarness.Run(userSource);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(2, run.Result.GeneratedSources.Length);
        Snapshot.Match(run.Source(fullName + ".Ep.g.cs").SourceText.ToString(), snapshotName, "cs");
        Snapshot.Match(run.KernelConstant(fullName + ".Kernels.g.cs"), snapshotName, "cu");
    }
}
