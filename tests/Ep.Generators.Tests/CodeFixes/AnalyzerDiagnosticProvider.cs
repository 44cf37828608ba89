using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Ep.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Ep.Generators.Tests.CodeFixes;

/// <summary>
/// What the IDE's fix-all asks for: the analyzer's diagnostics of a document or project, limited to the fix-all's IDs.
/// Computed fresh from the project's compilation, as the IDE does after every edit.
/// </summary>
internal sealed class AnalyzerDiagnosticProvider : FixAllContext.DiagnosticProvider
{
    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Project project, CancellationToken cancellationToken)
    {
        Compilation compilation = (await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false))!;
        return await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ExpertParallelLayerAnalyzer()))
            .GetAnalyzerDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
    {
        SyntaxTree? tree = await document.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false);
        ImmutableArray<Diagnostic> all = await AnalyzeAsync(document.Project, cancellationToken).ConfigureAwait(false);
        return all.Where(d => d.Location.SourceTree == tree);
    }

    public override async Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
        (await AnalyzeAsync(project, cancellationToken).ConfigureAwait(false)).Where(d => !d.Location.IsInSource);

    public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
        await AnalyzeAsync(project, cancellationToken).ConfigureAwait(false);
}
