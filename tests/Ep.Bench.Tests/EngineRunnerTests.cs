using System;
using System.Linq;
using Ep.Bench.Engines;
using Ep.Bench.Metrics;
using Ep.Bench.Options;
using Ep.Bench.Report;
using Ep.Bench.Routing;
using Xunit;

namespace Ep.Bench.Tests;

/// <summary>The whole timing path on the CPU Reference engine (the GPU engines run the same loop with events on their stream).</summary>
public sealed class EngineRunnerTests
{
    [Fact]
    public void The_reference_engine_times_every_operation_of_a_training_step_with_the_byte_formula()
    {
        BenchOptions options = BenchCommandLine.Parse(["--layer", "small-ht", "--engine", "reference", "--ranks", "2", "--warmup", "1", "--iters", "3"], out _)!;

        EngineResult result = EngineRunner.Run(BenchEngine.Reference, options, epBench: null, log: _ => { });

        Assert.True(result.Status == "ok", result.Detail);
        Assert.Equal(2, result.Ranks);
        Assert.Equal(
            ["dispatch", "permute", "unpermute", "combine", "combine-backward", "unpermute-backward", "permute-backward", "dispatch-backward", "forward", "step"],
            result.Operations.Select(o => o.Operation));
        OperationResult dispatch = result.Operations[0];
        Assert.Null(dispatch.DeviceMicroseconds); // no stream on the CPU
        Assert.Equal(2 * 3, dispatch.HostMicroseconds!.Count); // both ranks' samples pooled
        long[][] routing = BenchProblem.Create(options.Layer.Spec, 2, options.Tokens).Routing;
        double expected = (ByteFormulas.BytesPerRank(options.Layer.Spec, routing, 0) + ByteFormulas.BytesPerRank(options.Layer.Spec, routing, 1)) / 2.0;
        Assert.Equal(expected, dispatch.BytesPerRank);
        Assert.Null(result.Operations[1].BytesPerRank); // Permute is local
        Assert.Null(result.CudaGraph);
        Assert.Equal(2 * 3, dispatch.AllocatedBytes!.Count); // alloc B sampled per call, both ranks
        Assert.Null(result.Memory); // CPU engine: no device memory
        Assert.Null(result.Floor);
    }

    /// <summary>
    /// --new-routing: every other Dispatch takes the routing moved up by one row, whose bytes (and expert-major size) are
    /// those of the first, so one byte count serves every step — and the steps still run with it, on the timing path.
    /// </summary>
    [Fact]
    public void New_routing_each_step_moves_the_rows_which_keeps_the_bytes_and_runs_every_step()
    {
        BenchOptions options = BenchCommandLine.Parse(["--layer", "small-ht", "--engine", "reference", "--ranks", "2", "--warmup", "1", "--iters", "3", "--new-routing"], out _)!;
        EpLayerSpec spec = options.Layer.Spec;
        long[][] routing = BenchProblem.Create(spec, 2, options.Tokens).Routing;
        long[][] moved = [.. routing.Select(r => Ep.Bench.Timing.BenchStep.MovedUpByOneRow<long>(r, spec.TopK))];

        Assert.Equal(routing[0][spec.TopK..(2 * spec.TopK)], moved[0][..spec.TopK]);
        Assert.Equal(routing[0][..spec.TopK], moved[0][^spec.TopK..]);
        Assert.NotEqual(routing[0], moved[0]);
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.Equal(ByteFormulas.BytesPerRank(spec, routing, rank), ByteFormulas.BytesPerRank(spec, moved, rank));
        }

        EngineResult result = EngineRunner.Run(BenchEngine.Reference, options, epBench: null, log: _ => { });

        Assert.True(result.Status == "ok", result.Detail);
        Assert.Equal(2 * 3, result.Operations.Single(o => o.Operation == "step").HostMicroseconds!.Count);
        Assert.Contains("new routing every step", Report.TableWriter.Write(new BenchReport("Ep.Bench", "t", null, LayerConfiguration.Of(options), null, null, null, [result])),
            StringComparison.Ordinal);
    }

    /// <summary>
    /// --prepared with --new-routing: each step's PrepareDispatch takes the routing its Dispatch would have (the
    /// moved one every other step), outside the timed calls; every step runs, and the table says how Dispatch started.
    /// </summary>
    [Fact]
    public void Prepared_routing_runs_every_step_with_the_prepared_dispatch()
    {
        BenchOptions options = BenchCommandLine.Parse(
            ["--layer", "small-ht", "--engine", "reference", "--ranks", "2", "--warmup", "1", "--iters", "3", "--new-routing", "--prepared"], out _)!;

        EngineResult result = EngineRunner.Run(BenchEngine.Reference, options, epBench: null, log: _ => { });

        Assert.True(result.Status == "ok", result.Detail);
        Assert.Equal(2 * 3, result.Operations.Single(o => o.Operation == "dispatch").HostMicroseconds!.Count);
        Assert.Equal(2 * 3, result.PrepareDispatch!.Host.Count);
        string table = Report.TableWriter.Write(new BenchReport("Ep.Bench", "t", null, LayerConfiguration.Of(options), null, null, null, [result]));
        Assert.Contains("after a finished, untimed PrepareDispatch (--prepared)", table, StringComparison.Ordinal);
        Assert.Contains("PrepareDispatch (before each step, outside its spans): host p50", table, StringComparison.Ordinal);
    }

    [Fact]
    public void A_low_latency_layer_has_no_backward_rows()
    {
        BenchOptions options = BenchCommandLine.Parse(["--layer", "small-ll", "--engine", "reference", "--warmup", "0", "--iters", "2", "--cuda-graph"], out _)!;

        EngineResult result = EngineRunner.Run(BenchEngine.Reference, options, epBench: null, log: _ => { });

        Assert.True(result.Status == "ok", result.Detail);
        Assert.Equal(["dispatch", "permute", "unpermute", "combine", "forward"], result.Operations.Select(o => o.Operation));
        Assert.False(result.CudaGraph!.Capturable);
    }

    [Fact]
    public void A_layer_that_breaks_a_rule_at_the_rank_count_is_skipped_with_the_rule_and_a_hint()
    {
        BenchOptions options = BenchCommandLine.Parse(["--layer", "ht-em", "--engine", "staged"], out _)!;

        EngineResult result = EngineRunner.Run(BenchEngine.Staged, options, epBench: null, log: _ => { });

        Assert.Equal("skipped", result.Status);
        Assert.True(result.Detail!.Contains("no CUDA device", StringComparison.Ordinal) || result.Detail.Contains("EP0012", StringComparison.Ordinal), result.Detail);
    }
}
