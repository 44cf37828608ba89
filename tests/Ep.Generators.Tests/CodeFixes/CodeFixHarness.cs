using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Ep.Generators.Tests.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Xunit;

namespace Ep.Generators.Tests.CodeFixes;

/// <summary>
/// Before/after checks for Ep's code fixes, in place of Microsoft.CodeAnalysis.CSharp.CodeFix.Testing (whose reference
/// assemblies are downloaded from NuGet at test time). The before source is markup (<c>{|EP0008:Payload = …|}</c>):
/// the analyzer must report exactly the marked diagnostics of the fix's IDs. The fix runs in an AdhocWorkspace through
/// <see cref="CodeAction.GetOperationsAsync(CancellationToken)"/>, so the simplifier and formatter post-processing the
/// IDE does runs too. The after source must equal <c>after</c>, be valid C#, and have no diagnostic of the fix's IDs.
/// </summary>
internal static class CodeFixHarness
{
    /// <summary>Applies the single fix offered for the first marked diagnostic and compares the result with <paramref name="after"/>.</summary>
    public static async Task VerifyAsync(CodeFixProvider provider, string before, string after, string? title = null)
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        (Document document, ImmutableArray<Diagnostic> diagnostics) = await OpenAsync(provider, before, cancellationToken);

        List<CodeAction> actions = await ActionsForAsync(provider, document, diagnostics[0], cancellationToken);
        CodeAction action = Assert.Single(actions);
        if (title is not null)
        {
            Assert.Equal(title, action.Title);
        }

        Assert.Equal(after, await ApplyAsync(action, document, cancellationToken));
        AssertFixed(provider, after, cancellationToken);
    }

    /// <summary>Runs the provider's fix-all over <paramref name="scope"/> and compares every document with <paramref name="after"/>.</summary>
    public static async Task VerifyFixAllAsync(CodeFixProvider provider, string equivalenceKey, FixAllScope scope, string[] before, string[] after)
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        (Project project, ImmutableArray<Diagnostic> diagnostics) = await OpenAsync(provider, before, cancellationToken);
        Document first = project.GetDocument(diagnostics[0].Location.SourceTree)!;

        FixAllProvider fixAll = provider.GetFixAllProvider()!;
        Assert.Contains(scope, fixAll.GetSupportedFixAllScopes());
        var context = new FixAllContext(first, provider, scope, equivalenceKey, provider.FixableDiagnosticIds,
            new AnalyzerDiagnosticProvider(), cancellationToken);
        CodeAction action = (await fixAll.GetFixAsync(context))!;
        Assert.NotNull(action);

        Solution fixedSolution = await ApplyToSolutionAsync(action, cancellationToken);
        for (int i = 0; i < before.Length; i++)
        {
            Document fixedDocument = fixedSolution.GetDocument(project.Documents.ElementAt(i).Id)!;
            Assert.Equal(after[i], (await fixedDocument.GetTextAsync(cancellationToken)).ToString());
            AssertFixed(provider, after[i], cancellationToken);
        }
    }

    /// <summary>Checks that the analyzer reports the marked diagnostics and that the provider offers nothing for them.</summary>
    public static async Task VerifyNoFixAsync(CodeFixProvider provider, string before)
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        (Document document, ImmutableArray<Diagnostic> diagnostics) = await OpenAsync(provider, before, cancellationToken);
        foreach (Diagnostic diagnostic in diagnostics)
        {
            Assert.Empty(await ActionsForAsync(provider, document, diagnostic, cancellationToken));
        }
    }

    private static async Task<(Document, ImmutableArray<Diagnostic>)> OpenAsync(CodeFixProvider provider, string markup, CancellationToken cancellationToken)
    {
        (Project project, ImmutableArray<Diagnostic> diagnostics) = await OpenAsync(provider, new[] { markup }, cancellationToken);
        return (project.Documents.Single(), diagnostics);
    }

    /// <summary>A one-project workspace with a document per markup; returns the fixable diagnostics, checked against the marks.</summary>
    private static async Task<(Project, ImmutableArray<Diagnostic>)> OpenAsync(CodeFixProvider provider, string[] markups, CancellationToken cancellationToken)
    {
        var workspace = new AdhocWorkspace();
        Project project = workspace.CurrentSolution
            .AddProject("UserProject", "UserAssembly", LanguageNames.CSharp)
            .WithParseOptions(TestCompilation.ParseOptions)
            .WithCompilationOptions(TestCompilation.Create().Options)
            .WithMetadataReferences(TestCompilation.References);

        var expected = new List<string>();
        for (int i = 0; i < markups.Length; i++)
        {
            DiagnosticMarkup parsed = DiagnosticMarkup.Parse(markups[i]);
            string name = $"Source{i}.cs";
            project = project.AddDocument(name, parsed.Source, filePath: name).Project;
            expected.AddRange(parsed.Spans.Select(s => $"{name}: {s.Id} at {s.Span}"));
        }

        ImmutableArray<Diagnostic> diagnostics = (await AnalyzerDiagnosticProvider.AnalyzeAsync(project, cancellationToken))
            .Where(d => provider.FixableDiagnosticIds.Contains(d.Id))
            .OrderBy(d => d.Location.SourceTree!.FilePath, System.StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start)
            .ToImmutableArray();
        // Distinct: a containing type gets one EP0002 per layer inside it, all at its name, and a mark can say that once.
        Assert.Equal(expected, diagnostics.Select(d => $"{d.Location.SourceTree!.FilePath}: {d.Id} at {d.Location.SourceSpan}").Distinct());
        return (project, diagnostics);
    }

    private static async Task<List<CodeAction>> ActionsForAsync(CodeFixProvider provider, Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), cancellationToken);
        await provider.RegisterCodeFixesAsync(context);
        return actions;
    }

    private static async Task<string> ApplyAsync(CodeAction action, Document document, CancellationToken cancellationToken)
    {
        Solution solution = await ApplyToSolutionAsync(action, cancellationToken);
        return (await solution.GetDocument(document.Id)!.GetTextAsync(cancellationToken)).ToString();
    }

    private static async Task<Solution> ApplyToSolutionAsync(CodeAction action, CancellationToken cancellationToken)
    {
        ImmutableArray<CodeActionOperation> operations = await action.GetOperationsAsync(cancellationToken);
        return Assert.IsType<ApplyChangesOperation>(Assert.Single(operations)).ChangedSolution;
    }

    private static void AssertFixed(CodeFixProvider provider, string after, CancellationToken cancellationToken)
    {
        // AnalyzerHarness.Analyze also fails on compiler errors: a fix must leave valid C#.
        ImmutableArray<Diagnostic> remaining = AnalyzerHarness.Analyze(after, cancellationToken);
        Assert.DoesNotContain(remaining, d => provider.FixableDiagnosticIds.Contains(d.Id));
    }
}
