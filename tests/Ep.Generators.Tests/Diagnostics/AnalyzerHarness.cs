using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using Ep.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace Ep.Generators.Tests.Diagnostics;

/// <summary>An expected diagnostic's message arguments, in the order its markup span appears.</summary>
internal sealed record Expected(string Id, params object[] Arguments);

/// <summary>
/// Runs <see cref="ExpertParallelLayerAnalyzer"/> over marked-up source (net10.0 reference assemblies plus Ep's) and
/// checks that it reports exactly the marked diagnostics: same IDs, same spans, and messages built from the expected
/// arguments with the rule's own format in the invariant culture.
/// </summary>
internal static class AnalyzerHarness
{
    public static ImmutableArray<Diagnostic> Analyze(string source, CancellationToken cancellationToken)
    {
        Compilation compilation = TestCompilation.Create(source);

        // The tests' sources must be valid C#: a typo would otherwise pass as "no diagnostic".
        Assert.Empty(compilation.GetDiagnostics(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error));

        return compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ExpertParallelLayerAnalyzer()))
            .GetAnalyzerDiagnosticsAsync(cancellationToken).GetAwaiter().GetResult();
    }

    public static void Verify(string markup, params Expected[] expected)
    {
        DiagnosticMarkup parsed = DiagnosticMarkup.Parse(markup);
        Assert.Equal(parsed.Spans.Count, expected.Length);

        List<Diagnostic> actual = Analyze(parsed.Source, TestContext.Current.CancellationToken)
            .OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, System.StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
            parsed.Spans.Select(s => $"{s.Id} at {s.Span}"),
            actual.Select(d => $"{d.Id} at {d.Location.SourceSpan}"));

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(parsed.Spans[i].Id, expected[i].Id);
            EpRule rule = EpRules.All.Single(r => r.Id == expected[i].Id);
            string message = string.Format(CultureInfo.InvariantCulture, rule.MessageFormat, expected[i].Arguments);
            Assert.Equal(message, actual[i].GetMessage(CultureInfo.InvariantCulture));

            // The compiler formats with the build machine's culture; numbers must not change with it.
            Assert.Equal(message, actual[i].GetMessage(CultureInfo.GetCultureInfo("de-DE")));
        }
    }
}
