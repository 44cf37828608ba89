using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Ep.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ep.CodeFixes;

/// <summary>
/// EP0013: switches <c>Layout</c> to <c>EpLayout.Flat</c>. Offered only where the warning is at <c>Layout = …</c>: the
/// analyzer puts it there only for HighThroughput ExpertMajor when Flat fits the budget. For LowLatency it is at
/// <c>Algorithm = …</c> (Flat is illegal there, EP0017), and at <c>MemoryBudgetGiB = …</c> when Flat would not fit
/// either; neither gets this fix. A HighThroughput layer without a <c>Layout</c> argument is already Flat, so there is
/// never an argument to add.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(SwitchLayoutToFlatCodeFixProvider)), Shared]
public sealed class SwitchLayoutToFlatCodeFixProvider : ArgumentValueCodeFixProvider
{
    /// <summary>Shared by every action of this fix, so fix-all applies them together.</summary>
    public const string EquivalenceKey = "Ep.SwitchLayoutToFlat";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(EpDiagnostics.MemoryAboveBudget.Id);

    /// <inheritdoc/>
    protected override string ArgumentName => nameof(ExpertParallelLayerAttribute.Layout);

    /// <inheritdoc/>
    protected override string Key => EquivalenceKey;

    /// <inheritdoc/>
    protected override Task<ArgumentValueFix?> NewValueAsync(Document document, AttributeArgumentSyntax argument, CancellationToken cancellationToken) =>
        Task.FromResult<ArgumentValueFix?>(new ArgumentValueFix("Switch Layout to EpLayout.Flat",
            LayerArguments.EnumMember(nameof(EpLayout), nameof(EpLayout.Flat))));
}
