using System.Linq;
using Ep.Generators.Tests.Support;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Ep.Generators.Tests.Diagnostics;

/// <summary>
/// The analyzer is the one reporter: the generator reports nothing itself and writes no code for a layer with an
/// error (the code could not compile, and its errors would bury the real one). Warnings do not stop it.
/// </summary>
public sealed class GeneratorSkipsInvalidLayersTests
{
    private const string Sizes = "Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32";

    public static TheoryData<string> LayersWithErrors => new()
    {
        $"[Ep.ExpertParallelLayer({Sizes})] public class NotPartial {{ }}",
        $"public class Outer {{ [Ep.ExpertParallelLayer({Sizes})] public partial class Inner {{ }} }}",
        $"[Ep.ExpertParallelLayer({Sizes})] public partial class Generic<T> {{ }}",
        $"[Ep.ExpertParallelLayer({Sizes})] public static partial class Static {{ }}",
        $"[Ep.ExpertParallelLayer({Sizes})] public partial record Record {{ }}",
        $"[Ep.ExpertParallelLayer({Sizes})] public partial class Primary(int size) {{ public int Size => size; }}",
        $"[Ep.ExpertParallelLayer({Sizes})] file partial class FileLocal {{ }}",
        "[Ep.ExpertParallelLayer(Experts = 4, TopK = 6, HiddenSize = 64, MaxTokensPerRank = 32)] public partial class TopKTooLarge { }",
        $"[Ep.ExpertParallelLayer({Sizes}, Ranks = 3)] public partial class NotDivisible {{ }}",
    };

    [Theory]
    [MemberData(nameof(LayersWithErrors))]
    public void The_generator_writes_nothing_and_reports_nothing_for_a_layer_with_an_error(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(source);

        Assert.Null(run.Result.Exception);
        Assert.Empty(run.Result.GeneratedSources);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.Output.GetDiagnostics(TestContext.Current.CancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Contains(AnalyzerHarness.Analyze(source, TestContext.Current.CancellationToken), d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void A_layer_with_only_warnings_is_generated()
    {
        const string source = "[Ep.ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 16384, ExpertAlignment = 16)] public partial class Warned { }";
        GeneratorRun run = GeneratorHarness.Run(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(2, run.Result.GeneratedSources.Length);
        Assert.Equal(
            new[] { "EP0014", "EP0019" },
            AnalyzerHarness.Analyze(source, TestContext.Current.CancellationToken).Select(d => d.Id).OrderBy(id => id, System.StringComparer.Ordinal));
    }
}
