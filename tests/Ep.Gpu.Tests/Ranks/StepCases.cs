namespace Ep.Gpu.Tests.Ranks;

/// <summary>Whole steps (all eight operations, twice) of one layer on this rank against the Reference engine's answer for it.</summary>
internal static class StepCases
{
    public static string MatchesReference(EpGroup group, string layerName, bool noTokens, int seed)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var problem = new StepProblem(spec, group.WorldSize, seed, noTokens);
        StepRecord reference = ReferenceFor(group, spec, source, problem);
        using var layer = new EpLayerRuntime(group, spec, source, layerName);
        StepRecord[] steps = StagedStep.Run(group, layer, problem, steps: 2);
        Compare(group, layer, reference, steps, layerName);
        return layer.EngineKind.ToString();
    }

    public static string MatchesReferenceSuspended(EpGroup group, int seed)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(ZeroCopyMoe)];
        var problem = new StepProblem(spec, group.WorldSize, seed, noTokens: false);
        StepRecord reference = ReferenceFor(group, spec, source, problem);
        using var layer = new EpLayerRuntime(group, spec, source, nameof(ZeroCopyMoe));
        StepRecord[] steps;
        using (EpZeroCopy.Suspend())
        {
            steps = StagedStep.Run(group, layer, problem, steps: 2);
        }

        Compare(group, layer, reference, steps, "ZeroCopyMoe suspended");
        return layer.EngineKind.ToString();
    }

    /// <summary>The Reference engine's record of this rank: every rank of the same world simulated on the CPU.</summary>
    public static StepRecord ReferenceFor(EpGroup group, EpLayerSpec spec, string source, StepProblem problem) =>
        StagedStep.RunSimulatedWorld(EpDevice.Cpu, spec, source, problem, steps: 1)[group.Rank][0];

    /// <summary>Exact comparison (docs/semantics.md), except NCCL EP LL's documented row order within an expert.</summary>
    public static void Compare(EpGroup group, EpLayerRuntime layer, StepRecord reference, StepRecord[] steps, string name)
    {
        string where = $"{name} on {layer.EngineKind}, rank {group.Rank} of {group.WorldSize}";
        bool arrivalOrder = layer.EngineKind == EpEngineKind.NcclEp && layer.Spec.Algorithm == EpAlgorithm.LowLatency;
        for (int step = 0; step < steps.Length; step++)
        {
            if (arrivalOrder)
            {
                StepAssert.MatchesUpToRowOrderWithinExperts(reference, steps[step], layer.Spec.HiddenSize, $"{where}, step {step}");
            }
            else
            {
                StepAssert.Matches(reference, steps[step], $"{where}, step {step}");
            }
        }

        if (!arrivalOrder && steps.Length > 1)
        {
            StepAssert.Identical(steps[0], steps[1], $"{where}, second step");
        }
    }
}
