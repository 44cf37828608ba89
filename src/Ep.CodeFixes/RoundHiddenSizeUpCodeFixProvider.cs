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
/// EP0007: offers to round <c>HiddenSize</c> up to the next multiple of 8. The hidden size is the model's, so this is
/// only offered (the title names the new value for the user to accept); rounding down would drop features, so it is
/// not offered at all.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(RoundHiddenSizeUpCodeFixProvider)), Shared]
public sealed class RoundHiddenSizeUpCodeFixProvider : ArgumentValueCodeFixProvider
{
    /// <summary>Shared by every action of this fix (whatever value it rounds to), so fix-all applies them together.</summary>
    public const string EquivalenceKey = "Ep.RoundHiddenSizeUp";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(EpDiagnostics.HiddenSizeNotAligned.Id);

    /// <inheritdoc/>
    protected override string ArgumentName => nameof(ExpertParallelLayerAttribute.HiddenSize);

    /// <inheritdoc/>
    protected override string Key => EquivalenceKey;

    /// <inheritdoc/>
    protected override async Task<ArgumentValueFix?> NewValueAsync(Document document, AttributeArgumentSyntax argument, CancellationToken cancellationToken)
    {
        int? value = await LayerArguments.IntValueAsync(document, argument, cancellationToken).ConfigureAwait(false);
        return RoundUp(value) is int rounded
            ? new ArgumentValueFix("Round HiddenSize up to " + rounded.ToString(CultureInfo.InvariantCulture), LayerArguments.Literal(rounded))
            : null;
    }

    /// <summary>The next multiple of <see cref="EpRules.HiddenSizeMultiple"/> above a positive size, or null if none fits in an int.</summary>
    internal static int? RoundUp(int? hiddenSize)
    {
        if (hiddenSize is not > 0)
        {
            return null; // EP0004's problem, not this fix's.
        }

        long multiple = EpRules.HiddenSizeMultiple;
        long rounded = (hiddenSize.Value + multiple - 1) / multiple * multiple;
        return rounded <= int.MaxValue ? (int)rounded : null;
    }
}
