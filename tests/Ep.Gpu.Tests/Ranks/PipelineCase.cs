using System.Linq;

namespace Ep.Gpu.Tests.Ranks;

/// <summary>
/// Pipeline parallelism keeps micro-batches in flight on separate layer instances, with passes interleaved as
/// F0 F1 B0 F2 B1 B2. Each micro-batch must get exactly what the Reference engine gives it alone: no instance may
/// read another's buffers, handles or state.
/// </summary>
internal static class PipelineCase
{
    public static string MatchesEachMicroBatchAlone(EpGroup group, string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        StepProblem[] problems = Enumerable.Range(0, 3).Select(mb => new StepProblem(spec, group.WorldSize, seed: 40 + mb, noTokens: false)).ToArray();
        StepRecord[] alone = problems.Select(p => StepCases.ReferenceFor(group, spec, source, p)).ToArray();

        using var first = new EpLayerRuntime(group, spec, source, layerName);
        using var second = new EpLayerRuntime(group, spec, source, layerName);
        using var third = new EpLayerRuntime(group, spec, source, layerName);
        using var pass0 = new StepPass(group, first, problems[0]);
        using var pass1 = new StepPass(group, second, problems[1]);
        using var pass2 = new StepPass(group, third, problems[2]);
        pass0.Forward();   // F0
        pass1.Forward();   // F1
        pass0.Backward();  // B0
        pass2.Forward();   // F2
        pass1.Backward();  // B1
        pass2.Backward();  // B2

        StepPass[] passes = [pass0, pass1, pass2];
        for (int mb = 0; mb < 3; mb++)
        {
            StepAssert.Matches(alone[mb], passes[mb].Record, $"{layerName} micro-batch {mb} in the pipeline on {first.EngineKind}, rank {group.Rank}");
        }

        return first.EngineKind.ToString();
    }
}
