using System;
using Ep.Bench.Engines;
using Ep.Bench.Graphs;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class CudaGraphSupportTests
{
    // Engines travel by name: the bench's types are internal, and theory parameters of public tests must be public.
    public static TheoryData<string, EpAlgorithm> EveryEngineAndAlgorithm()
    {
        var data = new TheoryData<string, EpAlgorithm>();
        foreach (BenchEngine engine in Enum.GetValues<BenchEngine>())
        {
            foreach (EpAlgorithm algorithm in Enum.GetValues<EpAlgorithm>())
            {
                data.Add(engine.ToString(), algorithm);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryEngineAndAlgorithm))]
    public void No_engine_is_capturable_today_and_each_says_why(string engine, EpAlgorithm algorithm)
    {
        CudaGraphDecision decision = CudaGraphSupport.Decide(Enum.Parse<BenchEngine>(engine), algorithm);

        Assert.False(decision.Capturable);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
    }

    [Theory]
    [InlineData(nameof(BenchEngine.Staged), EpAlgorithm.HighThroughput, "reads the routing counts back")]
    [InlineData(nameof(BenchEngine.Staged), EpAlgorithm.LowLatency, "host barriers")]
    [InlineData(nameof(BenchEngine.NcclEp), EpAlgorithm.HighThroughput, "blocks the host inside ncclEpDispatch")]
    [InlineData(nameof(BenchEngine.NcclEp), EpAlgorithm.LowLatency, "Ep's routing check is what blocks it")]
    [InlineData(nameof(BenchEngine.Reference), EpAlgorithm.HighThroughput, "runs on the CPU")]
    public void The_reason_names_what_blocks_capture(string engine, EpAlgorithm algorithm, string expected)
    {
        Assert.Contains(expected, CudaGraphSupport.Decide(Enum.Parse<BenchEngine>(engine), algorithm).Reason, StringComparison.Ordinal);
    }
}
