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
        // The wrapper only, around a fixed text: the real CUDA text is covered by Verify below, and repeating it here
        // would make every kernel edit re-accept a second file.
        GeneratorRun run = GeneratorHarness.Run(LayerSources.Nested);
        Ep.Generators.Model.LayerModel model = Model(run);

        string generated = Ep.Generators.Emit.KernelSourceWriter.Write(model, "// kernels\n#define GREETING \"hi\"\n");

        Snapshot.Match(generated, "NestedLayer.Kernels", "cs");
    }

    private static void Verify(string userSource, string fullName, string snapshotName)
    {
        GeneratorRun run = GeneratorHarness.Run(userSource);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(2, run.Result.GeneratedSources.Length);
        Snapshot.Match(run.Source(fullName + ".Ep.g.cs").SourceText.ToString(), snapshotName, "cs");

        // The layer decides the CUDA text's header and macros; after them come native/kernels/*.cuh as embedded (checked
        // against the files by KernelSourceTests). So the .cu snapshot holds the header alone and the rest must be the
        // embedded kernels exactly: six snapshots do not repeat 800 lines of kernels, and a kernel edit re-accepts none.
        string cuda = run.KernelConstant(fullName + ".Kernels.g.cs");
        int kernels = cuda.Length - SharedKernels.Length;
        Assert.True(kernels > 0 && cuda.EndsWith(SharedKernels, System.StringComparison.Ordinal), "The CUDA text must end with the embedded kernels.");
        Snapshot.Match(cuda[..kernels], snapshotName, "cu");
    }

    /// <summary>The kernels every layer's CUDA text ends with (after its header): what the .cu snapshots leave out.</summary>
    public static string SharedKernels { get; } = Ep.Generators.Emit.CudaSourceBuilder.Kernels(Ep.Generators.Emit.EmbeddedKernels.Files);

    private static Ep.Generators.Model.LayerModel Model(GeneratorRun run) =>
        (Ep.Generators.Model.LayerModel)run.Result.TrackedSteps[ExpertParallelLayerGenerator.ModelStep]
            .SelectMany(step => step.Outputs).Single().Value;
}
