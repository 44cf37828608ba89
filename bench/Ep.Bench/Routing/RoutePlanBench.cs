using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Ep.Bench.Metrics;
using Ep.Bench.Options;
using Ep.Engines.Staged;

namespace Ep.Bench.Routing;

/// <summary>
/// <c>--route-plan</c>: the managed host work every GPU Dispatch does with the gathered routing records before and
/// after NCCL EP's call — reading every rank's record, the routing and capacity checks, this rank's counts per local
/// expert and its groups' offsets — timed alone on the CPU at the layer's sizes, with ep_bench's routing. No GPU is
/// needed, so the part of "Ep's managed code alone" that scales with experts and ranks can be measured and tuned on
/// any machine. Each part: untimed calls first, then <see cref="BenchOptions.Iterations"/> rounds, each the mean of
/// <see cref="CallsPerRound"/> calls; medians over the rounds.
/// </summary>
internal static class RoutePlanBench
{
    private const int WarmupCalls = 20_000;

    /// <summary>Calls timed together in one round (one clock read per round, not per call).</summary>
    public const int CallsPerRound = 2_000;

    public static RoutePlanReport Run(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        EpLayerSpec spec = options.Layer.Spec;
        int ranks = options.Ranks;
        int experts = spec.Experts;
        long[][] records = Records(spec, BenchProblem.RoutingOf(spec, ranks, options.Tokens), ranks);
        var summaries = new StagedRouteSummary[ranks];
        for (int r = 0; r < ranks; r++)
        {
            summaries[r] = StagedRouteSummary.Empty(ranks, experts);
            StagedRouteRecord.ReadInto(records[r], ranks, experts, summaries[r]);
        }

        var plan = new StagedRoutePlan(spec, summaries);
        var counts = new int[plan.LocalExperts];
        var offsets = new int[plan.LocalExperts];
        var parts = new List<RoutePlanPart>
        {
            Time("every rank's record read (StagedRouteRecord.ReadInto)", options.Iterations, () =>
            {
                for (int r = 0; r < ranks; r++)
                {
                    StagedRouteRecord.ReadInto(records[r], ranks, experts, summaries[r]);
                }
            }),
            Time("routing and capacity checks (ThrowIfInvalid)", options.Iterations, plan.ThrowIfInvalid),
            Time("rank 0's counts per local expert (ExpertCounts)", options.Iterations, () => plan.ExpertCounts(0, counts)),
            Time("rank 0's group offsets (ExpertOffsets)", options.Iterations, () => plan.ExpertOffsets(counts, offsets)),
        };
        return new RoutePlanReport(options.Layer.Name, options.Layer.ModeText, ranks, plan.LocalExperts, options.Tokens, counts, parts);
    }

    /// <summary>
    /// Every rank's device record as <c>ep_route_record</c> writes it for <paramref name="routing"/> (rows and pairs per
    /// destination rank, tokens per global expert; no error; the ids match none held).
    /// </summary>
    internal static long[][] Records(EpLayerSpec spec, long[][] routing, int ranks)
    {
        int local = spec.LocalExperts(ranks);
        var records = new long[ranks][];
        for (int s = 0; s < ranks; s++)
        {
            var record = new long[StagedRouteRecord.Words(ranks, spec.Experts)];
            Span<int> words = MemoryMarshal.Cast<long, int>(record.AsSpan(1));
            Span<int> rowsTo = words[..ranks];
            Span<int> pairsTo = words.Slice(ranks, ranks);
            Span<int> perExpert = words.Slice(2 * ranks, spec.Experts);
            var reached = new bool[ranks];
            for (int t = 0; t * spec.TopK < routing[s].Length; t++)
            {
                Array.Clear(reached);
                for (int k = 0; k < spec.TopK; k++)
                {
                    long id = routing[s][t * spec.TopK + k];
                    if (id < 0)
                    {
                        continue;
                    }

                    int destination = (int)(id / local);
                    perExpert[(int)id]++;
                    pairsTo[destination]++;
                    if (!reached[destination])
                    {
                        reached[destination] = true;
                        rowsTo[destination]++;
                    }
                }
            }

            record[^1] = 1; // held-ids word: nothing held
            records[s] = record;
        }

        return records;
    }

    private static RoutePlanPart Time(string name, int rounds, Action call)
    {
        for (int i = 0; i < WarmupCalls; i++)
        {
            call();
        }

        var nanoseconds = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < CallsPerRound; i++)
            {
                call();
            }

            nanoseconds[round] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / CallsPerRound;
        }

        return new RoutePlanPart(name, SampleSummary.Of(nanoseconds));
    }
}

/// <summary>The <c>--route-plan</c> report: the layer, its world, rank 0's counts per local expert, and each part's time.</summary>
internal sealed record RoutePlanReport(string Layer, string Mode, int Ranks, int LocalExperts, int TokensPerRank, int[] RankZeroCounts,
    IReadOnlyList<RoutePlanPart> Parts);

/// <summary>One part of the route plan's host work: ns per call over the rounds.</summary>
internal sealed record RoutePlanPart(string Name, SampleSummary NanosecondsPerCall);
