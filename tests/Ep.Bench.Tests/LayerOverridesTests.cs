using System;
using System.Linq;
using Ep.Bench.Engines;
using Ep.Bench.Layers;
using Ep.Bench.Metrics;
using Ep.Bench.Options;
using Ep.Bench.Report;
using Ep.Bench.Routing;
using Xunit;

namespace Ep.Bench.Tests;

/// <summary>
/// Any layer configuration from the command line (--hidden, --topk, --experts, --max-tokens, --layout, --algorithm,
/// --zero-copy, --weighted): the spec as asked, checked by the layer rules, and a CUDA source equal to what the
/// generator writes for a layer declared that way.
/// </summary>
public sealed class LayerOverridesTests
{
    public static TheoryData<string, string> EveryPairOfDeclaredLayers()
    {
        var data = new TheoryData<string, string>();
        foreach (BenchLayer from in BenchLayers.All)
        {
            foreach (BenchLayer to in BenchLayers.All)
            {
                data.Add(from.Name, to.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPairOfDeclaredLayers))]
    public void The_source_written_for_a_spec_is_the_generators_for_a_layer_declared_with_it(string from, string to)
    {
        BenchLayer template = BenchLayers.Find(from)!, declared = BenchLayers.Find(to)!;
        string declaredName = declared.KernelSource[..declared.KernelSource.IndexOf('\n', StringComparison.Ordinal)].Split(" for ")[1];

        Assert.Equal(declared.KernelSource, BenchKernelSource.For(declared.Spec, declaredName, template.KernelSource));
    }

    [Fact]
    public void The_command_line_changes_the_layer_and_its_source()
    {
        BenchOptions o = BenchCommandLine.Parse(
            ["--layer", "small-ht", "--hidden", "512", "--topk", "2", "--experts", "32", "--max-tokens", "64", "--weighted", "--layout", "em"], out _)!;

        EpLayerSpec spec = o.Layer.Spec;
        Assert.Equal((512, 2, 32, 64, EpLayout.ExpertMajor, true), (spec.HiddenSize, spec.TopK, spec.Experts, spec.MaxTokensPerRank, spec.Layout, spec.ApplyWeightsInCombine));
        Assert.Equal(64, o.Tokens); // the new MaxTokensPerRank is the default token count
        Assert.Equal("small-ht+hidden=512,topk=2,experts=32,max-tokens=64,layout=em,weighted", o.Layer.Name);
        Assert.Contains("#define EP_HIDDEN 512\n", o.Layer.KernelSource, StringComparison.Ordinal);
        Assert.Contains("#define EP_LAYOUT_EXPERT_MAJOR 1\n", o.Layer.KernelSource, StringComparison.Ordinal);
        Assert.Contains("(from the command line)", o.Layer.Description, StringComparison.Ordinal);
        Assert.False(o.Layer.SmallEnoughForReference); // larger than the declared smoke layer in hidden size and experts
    }

    [Fact]
    public void LowLatency_brings_its_expert_major_layout_and_nothing_changed_keeps_the_declared_layer()
    {
        BenchOptions ll = BenchCommandLine.Parse(["--layer", "small-ht", "--algorithm", "ll", "--hidden", "2048", "--max-tokens", "32"], out _)!;
        Assert.Equal((EpAlgorithm.LowLatency, EpLayout.ExpertMajor), (ll.Layer.Spec.Algorithm, ll.Layer.Spec.Layout));

        BenchOptions plain = BenchCommandLine.Parse(["--layer", "small-ht"], out _)!;
        Assert.Same(BenchLayers.Find("small-ht"), plain.Layer);
    }

    [Theory]
    [InlineData("--hidden", "7100", "EP0007")]   // not a multiple of 8
    [InlineData("--topk", "40", "EP0006")]       // above NCCL EP's top-k limit
    [InlineData("--layout", "diagonal", "--layout 'diagonal' is not one of flat, em")]
    [InlineData("--algorithm", "fast", "--algorithm 'fast' is not one of ht, ll")]
    public void A_configuration_that_breaks_a_rule_is_a_usage_error_with_the_rule(string option, string value, string expected)
    {
        var error = Assert.Throws<BenchUsageException>(() => BenchCommandLine.Parse(["--layer", "small-ht", option, value], out _));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_reference_engine_runs_a_configuration_from_the_command_line()
    {
        BenchOptions options = BenchCommandLine.Parse(
            ["--layer", "small-ht", "--hidden", "128", "--experts", "8", "--engine", "reference", "--ranks", "2", "--warmup", "0", "--iters", "2"], out _)!;

        EngineResult result = EngineRunner.Run(BenchEngine.Reference, options, epBench: null, log: _ => { });

        Assert.True(result.Status == "ok", result.Detail);
        Assert.Equal((128, 8), (options.Layer.Spec.HiddenSize, options.Layer.Spec.Experts));
        long[][] routing = BenchProblem.Create(options.Layer.Spec, 2, options.Tokens).Routing;
        double expected = (ByteFormulas.BytesPerRank(options.Layer.Spec, routing, 0) + ByteFormulas.BytesPerRank(options.Layer.Spec, routing, 1)) / 2.0;
        Assert.Equal(expected, result.Operations.Single(r => r.Operation == "dispatch").BytesPerRank);
    }
}
