using System.Collections.Generic;
using System.Linq;
using Ep.Generators.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Ep.Generators.Tests.Caching;

/// <summary>
/// Edits that do not touch a layer must not re-run its emitters: the model step and the source outputs stay
/// Cached or Unchanged. A generator that fails this re-writes (and the IDE re-parses) every layer on every keystroke.
/// </summary>
public sealed class IncrementalCachingTests
{
    private const string UnrelatedFile = """
        namespace App
        {
            public static class Helpers
            {
                public static int Twice(int x) => x * 2;
            }
        }
        """;

    [Fact]
    public void Adding_an_unrelated_file_leaves_every_output_cached()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = RunOnce(LayerSources.DeepSeek, LayerSources.Nested);

        CSharpCompilation edited = compilation.AddSyntaxTrees(
            CSharpSyntaxTree.ParseText(UnrelatedFile, TestCompilation.ParseOptions, path: "Unrelated.cs", cancellationToken: TestContext.Current.CancellationToken));
        GeneratorRunResult second = driver.RunGenerators(edited, TestContext.Current.CancellationToken).GetRunResult().Results.Single();

        AssertAllCached(second, expectedLayers: 2);
    }

    [Fact]
    public void Editing_an_unrelated_file_leaves_every_output_cached()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = RunOnce(LayerSources.DeepSeek, UnrelatedFile);

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "Source1.cs");
        SyntaxTree changed = old.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(UnrelatedFile.Replace("x * 2", "x + x", System.StringComparison.Ordinal)));
        GeneratorRunResult second = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, changed), TestContext.Current.CancellationToken)
            .GetRunResult().Results.Single();

        AssertAllCached(second, expectedLayers: 1);
    }

    [Fact]
    public void Changing_a_layer_constant_regenerates_that_layer()
    {
        // The control for the tests above: the same harness does see a real change.
        (GeneratorDriver driver, CSharpCompilation compilation) = RunOnce(LayerSources.DeepSeek);

        SyntaxTree old = compilation.SyntaxTrees.Single();
        SyntaxTree changed = old.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            LayerSources.DeepSeek.Replace("TopK = 8", "TopK = 6", System.StringComparison.Ordinal)));
        GeneratorRunResult second = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, changed), TestContext.Current.CancellationToken)
            .GetRunResult().Results.Single();

        IncrementalStepRunReason reason = second.TrackedSteps[ExpertParallelLayerGenerator.ModelStep]
            .SelectMany(step => step.Outputs).Single().Reason;
        Assert.Equal(IncrementalStepRunReason.Modified, reason);
        Assert.Contains("public const int TopK = 6;", second.GeneratedSources.Single(s => s.HintName.EndsWith(".Ep.g.cs", System.StringComparison.Ordinal)).SourceText.ToString(), System.StringComparison.Ordinal);
    }

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) RunOnce(params string[] sources)
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(TestCompilation.ParseOptions, sources);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation, TestContext.Current.CancellationToken);
        Assert.NotEmpty(driver.GetRunResult().Results.Single().GeneratedSources);
        return (driver, compilation);
    }

    private static void AssertAllCached(GeneratorRunResult run, int expectedLayers)
    {
        IncrementalGeneratorRunStep[] modelSteps = run.TrackedSteps[ExpertParallelLayerGenerator.ModelStep].ToArray();
        (object Value, IncrementalStepRunReason Reason)[] modelOutputs = modelSteps.SelectMany(step => step.Outputs).ToArray();
        Assert.Equal(expectedLayers, modelOutputs.Length);
        Assert.All(modelOutputs, output => Assert.True(IsReused(output.Reason), $"model step output was {output.Reason}"));

        List<IncrementalGeneratorRunStep> sourceSteps = run.TrackedOutputSteps.SelectMany(pair => pair.Value).ToList();
        Assert.NotEmpty(sourceSteps);
        Assert.All(sourceSteps.SelectMany(step => step.Outputs),
            output => Assert.True(IsReused(output.Reason), $"source output was {output.Reason}"));
        Assert.Equal(expectedLayers * 2, run.GeneratedSources.Length);
    }

    private static bool IsReused(IncrementalStepRunReason reason) =>
        reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged;
}
