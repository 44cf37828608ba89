using System;
using System.IO;
using System.Linq;
using Ep.Engines.NcclEp;
using Ep.Engines.Staged;
using Xunit;

namespace Ep.Gpu.Tests.Ranks;

/// <summary>
/// The suite that runs across processes (tests/Ep.Gpu.Ranks) runs here on simulated ranks: on the CPU (the Reference
/// engine against itself, so the harness runs in CI: cases, comparisons, the pipeline schedule) and on GPU 0 (Staged).
/// </summary>
public sealed class RankSuiteTests
{
    static RankSuiteTests()
    {
        StagedLayer.PoisonOutputs = true;
        NcclEpLayer.PoisonOutputs = true;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Every_case_passes_on_reference_ranks(int ranks) => AssertEveryCasePasses(ranks, EpDevice.Cpu);

    [GpuTheory]
    [InlineData(2)]
    [InlineData(4)]
    public void Every_case_passes_on_staged_ranks_simulated_on_one_gpu(int ranks) => AssertEveryCasePasses(ranks, EpDevice.Gpu(0));

    [Fact]
    public void A_case_that_throws_is_reported_as_failed_and_the_rest_still_run()
    {
        RankCase[] cases =
        [
            new("throws", _ => throw new InvalidOperationException("deliberate")),
            new("runs", g => g.EngineKind.ToString()),
            new("needs four ranks", _ => "", MinimumRanks: 4),
        ];
        var log = new StringWriter();
        // One synchronized writer for all ranks: a wrapper per rank would lock only itself, and the ranks' lines would race.
        TextWriter shared = TextWriter.Synchronized(log);

        RankSuiteResult result = EpWorld.RunSimulated(2, EpDevice.Cpu, g => RankSuite.RunAll(g, shared, cases: cases))[0];

        Assert.Equal(new RankSuiteResult(Passed: 1, Failed: 1, Skipped: 1), result);
        Assert.Contains("FAIL throws: InvalidOperationException: deliberate", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("PASS runs [Reference]", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("SKIP needs four ranks: needs 4 ranks, the group has 2", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_suite_covers_every_layout_empty_steps_the_pipeline_and_collective_errors()
    {
        string[] names = RankSuite.Cases.Select(c => c.Name).ToArray();
        // Every declared layer but the capacity-overflow one, the many-token and many-expert ones (those only size the
        // routing kernels' tiles and tallies) and the wide-row ones (those only widen the weight-gradient dots): one GPU
        // covers those.
        foreach (string layer in TestLayers.All.Keys.Where(k => k != nameof(TightCapacityMoe) && !TestLayers.ManyTokens.Any(m => m.Layer == k)
            && !TestLayers.ManyExperts.Any(m => m.Layer == k) && !TestLayers.WideRows.Contains(k)))
        {
            Assert.Contains($"{layer}: uneven tokens, rank 1 empty", names);
            Assert.Contains($"{layer}: no tokens on any rank", names);
        }

        Assert.Contains(names, n => n.StartsWith("pipeline F0 F1 B0 F2 B1 B2", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("every rank reports it", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("captured step replays", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("captured training step replays", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("changed on one rank only", StringComparison.Ordinal));
        Assert.Equal(names.Length, names.Distinct().Count());
    }

    private static void AssertEveryCasePasses(int ranks, EpDevice device)
    {
        var log = new StringWriter();
        TextWriter shared = TextWriter.Synchronized(log);
        RankSuiteResult[] results = EpWorld.RunSimulated(ranks, device, g => RankSuite.RunAll(g, shared));

        TestContext.Current.SendDiagnosticMessage(log.ToString());
        int expectedSkipped = RankSuite.Cases.Count(c => c.MinimumRanks > ranks);
        var expected = new RankSuiteResult(RankSuite.Cases.Count - expectedSkipped, 0, expectedSkipped);
        Assert.True(results.All(r => r == expected), $"expected {expected} on every rank, got {string.Join(", ", results.Select(r => r.ToString()))}:\n{log}");
    }
}
