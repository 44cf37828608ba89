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

    /// <summary>
    /// One routing for two steps, then a step in which only the last rank with tokens changes one id, then the first
    /// routing again; every step against the Reference engine. The NcclEp engine keeps its HighThroughput handle only
    /// while every rank's ids repeat: its update is collective, so a rank keeping the handle while another updates would
    /// hang the others or mix two routings.
    /// </summary>
    public static string RoutingChangedOnOneRankOnly(EpGroup group, string layerName)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        var first = new StepProblem(spec, group.WorldSize, seed: 41, noTokens: false);
        StepProblem changed = first.Copy();
        changed.ChangeLastId(System.Array.FindLastIndex(first.TokenCounts, t => t > 0), spec.Experts, spec.TopK);
        using var layer = new EpLayerRuntime(group, spec, source, layerName);
        foreach ((StepProblem problem, string name) in new[] { (first, "first"), (first, "repeated"), (changed, "changed on one rank"), (first, "first again") })
        {
            StepRecord step = StagedStep.Run(group, layer, problem, steps: 1)[0];
            Compare(group, layer, ReferenceFor(group, spec, source, problem), [step], $"{layerName}, routing {name}");
        }

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
