using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Ep.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ep.CodeFixes;

/// <summary>
/// EP0008: replaces the payload with <c>EpPayload.BFloat16</c>, the only one NCCL EP moves. The argument is kept
/// (rather than deleted for the default) so the declaration still says which payload the layer uses.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(SetPayloadToBFloat16CodeFixProvider)), Shared]
public sealed class SetPayloadToBFloat16CodeFixProvider : CodeFixProvider
{
    /// <summary>Shared by every action of this fix, so fix-all applies them together.</summary>
    public const string EquivalenceKey = "Ep.SetPayloadToBFloat16";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(EpDiagnostics.UnsupportedPayload.Id);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            AttributeArgumentSyntax? payload = LayerArguments.At(root, diagnostic.Location.SourceSpan, nameof(ExpertParallelLayerAttribute.Payload));
            if (payload is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Set Payload = EpPayload.BFloat16",
                    cancellationToken => LayerArguments.ReplaceValueAsync(context.Document, payload,
                        LayerArguments.EnumMember(nameof(EpPayload), nameof(EpPayload.BFloat16)), cancellationToken),
                    EquivalenceKey),
                diagnostic);
        }
    }
}
