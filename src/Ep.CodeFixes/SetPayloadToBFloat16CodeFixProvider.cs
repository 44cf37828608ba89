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
/// EP0008: replaces the payload with <c>EpPayload.BFloat16</c>, the only one NCCL EP moves. The argument is kept
/// (rather than deleted for the default) so the declaration still says which payload the layer uses.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(SetPayloadToBFloat16CodeFixProvider)), Shared]
public sealed class SetPayloadToBFloat16CodeFixProvider : ArgumentValueCodeFixProvider
{
    /// <summary>Shared by every action of this fix, so fix-all applies them together.</summary>
    public const string EquivalenceKey = "Ep.SetPayloadToBFloat16";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(EpDiagnostics.UnsupportedPayload.Id);

    /// <inheritdoc/>
    protected override string ArgumentName => nameof(ExpertParallelLayerAttribute.Payload);

    /// <inheritdoc/>
    protected override string Key => EquivalenceKey;

    /// <inheritdoc/>
    protected override Task<ArgumentValueFix?> NewValueAsync(Document document, AttributeArgumentSyntax argument, CancellationToken cancellationToken) =>
        Task.FromResult<ArgumentValueFix?>(new ArgumentValueFix("Set Payload = EpPayload.BFloat16",
            LayerArguments.EnumMember(nameof(EpPayload), nameof(EpPayload.BFloat16))));
}
