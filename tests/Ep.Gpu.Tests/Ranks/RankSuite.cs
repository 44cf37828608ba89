using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Ep.Gpu.Tests.Ranks;

/// <summary>How many cases passed, failed and were skipped on one rank.</summary>
internal sealed record RankSuiteResult(int Passed, int Failed, int Skipped);

/// <summary>
/// The GPU suite as it runs across processes (one per GPU, <c>tools/ep-run</c> or <c>mpirun</c>, tests/Ep.Gpu.Ranks):
/// every layout against the Reference engine with uneven token counts and an empty rank, a step with no tokens
/// anywhere, zero-copy by window and inside a suspend scope, the pipeline schedule F0 F1 B0 F2 B1 B2 over three layer
/// instances, a routing repeated and then changed on one rank only, errors that every rank must report alike, and a captured LowLatency step (a CUDA graph on NcclEp). The same list runs on simulated ranks in the xunit suite.
/// </summary>
internal static class RankSuite
{
    public static IReadOnlyList<RankCase> Cases { get; } = BuildCases();

    /// <summary>Runs <paramref name="cases"/> (default: <see cref="Cases"/>) whose name contains <paramref name="filter"/>, one line per case.</summary>
    public static RankSuiteResult RunAll(EpGroup group, TextWriter log, string? filter = null, IReadOnlyList<RankCase>? cases = null)
    {
        int passed = 0, failed = 0, skipped = 0;
        foreach (RankCase c in (cases ?? Cases).Where(c => filter is null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
        {
            if (group.WorldSize < c.MinimumRanks)
            {
                skipped++;
                log.WriteLine($"SKIP {c.Name}: needs {c.MinimumRanks} ranks, the group has {group.WorldSize}");
                continue;
            }

            long start = Stopwatch.GetTimestamp();
            try
            {
                string detail = c.Run(group);
                passed++;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PASS {c.Name} [{detail}] {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms"));
            }
            catch (Exception error)
            {
                failed++;
                log.WriteLine($"FAIL {c.Name}: {error.GetType().Name}: {error.Message}");
            }
        }

        return new RankSuiteResult(passed, failed, skipped);
    }

    private static List<RankCase> BuildCases()
    {
        var cases = new List<RankCase>();
        foreach (string layer in TestLayers.Steppable)
        {
            cases.Add(new($"{layer}: uneven tokens, rank 1 empty", g => StepCases.MatchesReference(g, layer, noTokens: false, seed: 31 + layer.Length)));
            cases.Add(new($"{layer}: no tokens on any rank", g => StepCases.MatchesReference(g, layer, noTokens: true, seed: 5)));
        }

        foreach (string layer in new[] { nameof(FlatWeightedMoe), nameof(ExpertMajorWeightedMoe) })
        {
            cases.Add(new($"{layer}: routing repeated, then changed on one rank only", g => StepCases.RoutingChangedOnOneRankOnly(g, layer)));
        }

        cases.Add(new($"{nameof(ZeroCopyMoe)}: inside EpZeroCopy.Suspend", g => StepCases.MatchesReferenceSuspended(g, seed: 29)));
        cases.Add(new($"pipeline F0 F1 B0 F2 B1 B2: {nameof(FlatWeightedMoe)} x3", g => PipelineCase.MatchesEachMicroBatchAlone(g, nameof(FlatWeightedMoe))));
        cases.Add(new($"pipeline F0 F1 B0 F2 B1 B2: {nameof(ExpertMajorWeightedMoe)} x3", g => PipelineCase.MatchesEachMicroBatchAlone(g, nameof(ExpertMajorWeightedMoe))));
        cases.Add(new("bad routing on the last rank: every rank reports it", CollectiveErrorCases.BadRoutingOnTheLastRank));
        foreach (string layer in new[] { nameof(LowLatencyMoe), nameof(FlatWeightedMoe), nameof(ExpertMajorWeightedMoe) })
        {
            cases.Add(new($"{layer}: captured step replays, a bad id on rank 0 reported by every rank's Wait",
                g => CapturedStepCase.MatchesReferenceAndAgreesOnErrors(g, layer)));
        }

        foreach (string layer in new[] { nameof(FlatWeightedMoe), nameof(ExpertMajorWeightedMoe) })
        {
            cases.Add(new($"{layer}: captured training step replays", g => CapturedStepCase.TrainingMatchesReference(g, layer)));
        }

        cases.Add(new("receive capacity of rank 0 overflows: every rank reports it", CollectiveErrorCases.CapacityOverflowOnRankZero,
            MinimumRanks: 2));
        return cases;
    }
}
