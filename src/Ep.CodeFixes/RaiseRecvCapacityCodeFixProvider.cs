using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Threading;
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
public sealed class RaiseRecvCapacityCodeFixProvider : ArgumentValueCodeFixProvider
{
    /// <summary>Shared by every action of this fix, so fix-all applies them together.</summary>
    public const string EquivalenceKey = "Ep.RaiseRecvCapacityToMaxTokens";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(EpDiagnostics.RecvCapacityTooSmall.Id);

    /// <inheritdoc/>
    protected override string ArgumentName => nameof(ExpertParallelLayerAttribute.RecvCapacityPerRank);

    /// <inheritdoc/>
    protected override string Key => EquivalenceKey;

    /// <inheritdoc/>
    protected override async Task<ArgumentValueFix?> NewValueAsync(Document document, AttributeArgumentSyntax argument, CancellationToken cancellationToken)
    {
        AttributeArgumentSyntax? maxTokens = LayerArguments.Sibling(argument, nameof(ExpertParallelLayerAttribute.MaxTokensPerRank));
        int? minimum = maxTokens is null ? null : await LayerArguments.IntValueAsync(document, maxTokens, cancellationToken).ConfigureAwait(false);
        if (maxTokens is null || minimum is not > 0)
        {
            return null; // Without a positive MaxTokensPerRank there is no minimum to raise to (EP0004 says so).
        }

        return new ArgumentValueFix("Raise RecvCapacityPerRank to MaxTokensPerRank (" + minimum.Value.ToString(CultureInfo.InvariantCulture) + ")",
            maxTokens.Expression.WithoutTrivia());
    }
}
