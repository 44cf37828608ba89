using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Threading.Tasks;
using Ep.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ep.CodeFixes;

/// <summary>
/// EP0009: raises <c>RecvCapacityPerRank</c> to the minimum NCCL EP accepts, <c>MaxTokensPerRank</c>. The new value is
/// the <c>MaxTokensPerRank</c> argument's own expression, so a named constant stays linked to it.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(RaiseRecvCapacityCodeFixProvider)), Shared]
public sealed class RaiseRecvCapacityCodeFixProvider : CodeFixProvider
{
    /// <summary>Shared by every action of this fix, so fix-all applies them together.</summary>
    public const string EquivalenceKey = "Ep.RaiseRecvCapacityToMaxTokens";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(EpDiagnostics.RecvCapacityTooSmall.Id);

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
            AttributeArgumentSyntax? capacity = LayerArguments.At(root, diagnostic.Location.SourceSpan, nameof(ExpertParallelLayerAttribute.RecvCapacityPerRank));
            AttributeArgumentSyntax? maxTokens = capacity is null ? null : LayerArguments.Sibling(capacity, nameof(ExpertParallelLayerAttribute.MaxTokensPerRank));
            int? minimum = maxTokens is null ? null : await LayerArguments.IntValueAsync(context.Document, maxTokens, context.CancellationToken).ConfigureAwait(false);
            if (capacity is null || maxTokens is null || minimum is not > 0)
            {
                continue; // Without a positive MaxTokensPerRank there is no minimum to raise to (EP0004 says so).
            }

            ExpressionSyntax value = maxTokens.Expression.WithoutTrivia();
            context.RegisterCodeFix(
                CodeAction.Create(
                    "Raise RecvCapacityPerRank to MaxTokensPerRank (" + minimum.Value.ToString(CultureInfo.InvariantCulture) + ")",
                    cancellationToken => LayerArguments.ReplaceValueAsync(context.Document, capacity, value, cancellationToken),
                    EquivalenceKey),
                diagnostic);
        }
    }
}
