using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Ep.Generators.Diagnostics;

/// <summary>
/// One <see cref="DiagnosticDescriptor"/> per <see cref="EpRules"/> entry. Titles and messages come from the rule
/// (one text for the analyzer and the runtime's exceptions); the ID, category and severity are written out here as
/// literals because the release-tracking analyzer (RS2000–RS2008) checks AnalyzerReleases.*.md against literal
/// arguments only. A test checks that each literal agrees with its rule.
/// </summary>
internal static class EpDiagnostics
{
    /// <summary>Shape of the annotated class and the sizes and options of its attribute.</summary>
    public const string LayerCategory = "Ep.Layer";
    /// <summary>Limits NCCL EP v0.1 imposes (it aborts the process when they are broken).</summary>
    public const string NcclEpCategory = "Ep.NcclEp";
    /// <summary>Receive-buffer memory.</summary>
    public const string MemoryCategory = "Ep.Memory";

    /// <summary>EP0001: <see cref="EpRules.ClassNotPartial"/>.</summary>
    public static readonly DiagnosticDescriptor ClassNotPartial = new(
        "EP0001", EpRules.ClassNotPartial.Title, DiagnosticMessage.Format(EpRules.ClassNotPartial), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.ClassNotPartial.HelpLink);

    /// <summary>EP0002: <see cref="EpRules.ContainingTypeNotPartial"/>.</summary>
    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = new(
        "EP0002", EpRules.ContainingTypeNotPartial.Title, DiagnosticMessage.Format(EpRules.ContainingTypeNotPartial), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.ContainingTypeNotPartial.HelpLink);

    /// <summary>EP0003: <see cref="EpRules.GenericLayer"/>.</summary>
    public static readonly DiagnosticDescriptor GenericLayer = new(
        "EP0003", EpRules.GenericLayer.Title, DiagnosticMessage.Format(EpRules.GenericLayer), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.GenericLayer.HelpLink);

    /// <summary>EP0004: <see cref="EpRules.NotPositive"/>.</summary>
    public static readonly DiagnosticDescriptor NotPositive = new(
        "EP0004", EpRules.NotPositive.Title, DiagnosticMessage.Format(EpRules.NotPositive), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.NotPositive.HelpLink);

    /// <summary>EP0005: <see cref="EpRules.TopKExceedsExperts"/>.</summary>
    public static readonly DiagnosticDescriptor TopKExceedsExperts = new(
        "EP0005", EpRules.TopKExceedsExperts.Title, DiagnosticMessage.Format(EpRules.TopKExceedsExperts), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.TopKExceedsExperts.HelpLink);

    /// <summary>EP0006: <see cref="EpRules.TopKAboveLimit"/>.</summary>
    public static readonly DiagnosticDescriptor TopKAboveLimit = new(
        "EP0006", EpRules.TopKAboveLimit.Title, DiagnosticMessage.Format(EpRules.TopKAboveLimit), NcclEpCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.TopKAboveLimit.HelpLink);

    /// <summary>EP0007: <see cref="EpRules.HiddenSizeNotAligned"/>.</summary>
    public static readonly DiagnosticDescriptor HiddenSizeNotAligned = new(
        "EP0007", EpRules.HiddenSizeNotAligned.Title, DiagnosticMessage.Format(EpRules.HiddenSizeNotAligned), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.HiddenSizeNotAligned.HelpLink);

    /// <summary>EP0008: <see cref="EpRules.UnsupportedPayload"/>.</summary>
    public static readonly DiagnosticDescriptor UnsupportedPayload = new(
        "EP0008", EpRules.UnsupportedPayload.Title, DiagnosticMessage.Format(EpRules.UnsupportedPayload), NcclEpCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.UnsupportedPayload.HelpLink);

    /// <summary>EP0009: <see cref="EpRules.RecvCapacityTooSmall"/>.</summary>
    public static readonly DiagnosticDescriptor RecvCapacityTooSmall = new(
        "EP0009", EpRules.RecvCapacityTooSmall.Title, DiagnosticMessage.Format(EpRules.RecvCapacityTooSmall), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.RecvCapacityTooSmall.HelpLink);

    /// <summary>EP0010: <see cref="EpRules.ExpertsNotDivisible"/>.</summary>
    public static readonly DiagnosticDescriptor ExpertsNotDivisible = new(
        "EP0010", EpRules.ExpertsNotDivisible.Title, DiagnosticMessage.Format(EpRules.ExpertsNotDivisible), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.ExpertsNotDivisible.HelpLink);

    /// <summary>EP0011: <see cref="EpRules.RanksOutOfRange"/>.</summary>
    public static readonly DiagnosticDescriptor RanksOutOfRange = new(
        "EP0011", EpRules.RanksOutOfRange.Title, DiagnosticMessage.Format(EpRules.RanksOutOfRange), NcclEpCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.RanksOutOfRange.HelpLink);

    /// <summary>EP0012: <see cref="EpRules.TooManyLocalExperts"/>.</summary>
    public static readonly DiagnosticDescriptor TooManyLocalExperts = new(
        "EP0012", EpRules.TooManyLocalExperts.Title, DiagnosticMessage.Format(EpRules.TooManyLocalExperts), NcclEpCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.TooManyLocalExperts.HelpLink);

    /// <summary>EP0013: <see cref="EpRules.MemoryAboveBudget"/>.</summary>
    public static readonly DiagnosticDescriptor MemoryAboveBudget = new(
        "EP0013", EpRules.MemoryAboveBudget.Title, DiagnosticMessage.Format(EpRules.MemoryAboveBudget), MemoryCategory, DiagnosticSeverity.Warning,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.MemoryAboveBudget.HelpLink);

    /// <summary>EP0014: <see cref="EpRules.TooManyTokensForNcclEp"/>.</summary>
    public static readonly DiagnosticDescriptor TooManyTokensForNcclEp = new(
        "EP0014", EpRules.TooManyTokensForNcclEp.Title, DiagnosticMessage.Format(EpRules.TooManyTokensForNcclEp), NcclEpCategory, DiagnosticSeverity.Warning,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.TooManyTokensForNcclEp.HelpLink);

    /// <summary>EP0015: <see cref="EpRules.LowLatencyHiddenSize"/>.</summary>
    public static readonly DiagnosticDescriptor LowLatencyHiddenSize = new(
        "EP0015", EpRules.LowLatencyHiddenSize.Title, DiagnosticMessage.Format(EpRules.LowLatencyHiddenSize), NcclEpCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.LowLatencyHiddenSize.HelpLink);

    /// <summary>EP0016: <see cref="EpRules.AlignmentNotPowerOfTwo"/>.</summary>
    public static readonly DiagnosticDescriptor AlignmentNotPowerOfTwo = new(
        "EP0016", EpRules.AlignmentNotPowerOfTwo.Title, DiagnosticMessage.Format(EpRules.AlignmentNotPowerOfTwo), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.AlignmentNotPowerOfTwo.HelpLink);

    /// <summary>EP0017: <see cref="EpRules.LowLatencyNeedsExpertMajor"/>.</summary>
    public static readonly DiagnosticDescriptor LowLatencyNeedsExpertMajor = new(
        "EP0017", EpRules.LowLatencyNeedsExpertMajor.Title, DiagnosticMessage.Format(EpRules.LowLatencyNeedsExpertMajor), NcclEpCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.LowLatencyNeedsExpertMajor.HelpLink);

    /// <summary>EP0018: <see cref="EpRules.ZeroCopyWithLowLatency"/>.</summary>
    public static readonly DiagnosticDescriptor ZeroCopyWithLowLatency = new(
        "EP0018", EpRules.ZeroCopyWithLowLatency.Title, DiagnosticMessage.Format(EpRules.ZeroCopyWithLowLatency), NcclEpCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.ZeroCopyWithLowLatency.HelpLink);

    /// <summary>EP0019: <see cref="EpRules.AlignmentIgnored"/>.</summary>
    public static readonly DiagnosticDescriptor AlignmentIgnored = new(
        "EP0019", EpRules.AlignmentIgnored.Title, DiagnosticMessage.Format(EpRules.AlignmentIgnored), LayerCategory, DiagnosticSeverity.Warning,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.AlignmentIgnored.HelpLink);

    /// <summary>EP0020: <see cref="EpRules.NegativeMemoryBudget"/>.</summary>
    public static readonly DiagnosticDescriptor NegativeMemoryBudget = new(
        "EP0020", EpRules.NegativeMemoryBudget.Title, DiagnosticMessage.Format(EpRules.NegativeMemoryBudget), MemoryCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.NegativeMemoryBudget.HelpLink);

    /// <summary>EP0021: <see cref="EpRules.LowLatencyTokenMultiple"/>.</summary>
    public static readonly DiagnosticDescriptor LowLatencyTokenMultiple = new(
        "EP0021", EpRules.LowLatencyTokenMultiple.Title, DiagnosticMessage.Format(EpRules.LowLatencyTokenMultiple), NcclEpCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.LowLatencyTokenMultiple.HelpLink);

    /// <summary>EP0022: <see cref="EpRules.StaticLayer"/>.</summary>
    public static readonly DiagnosticDescriptor StaticLayer = new(
        "EP0022", EpRules.StaticLayer.Title, DiagnosticMessage.Format(EpRules.StaticLayer), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.StaticLayer.HelpLink);

    /// <summary>EP0023: <see cref="EpRules.RecordLayer"/>.</summary>
    public static readonly DiagnosticDescriptor RecordLayer = new(
        "EP0023", EpRules.RecordLayer.Title, DiagnosticMessage.Format(EpRules.RecordLayer), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.RecordLayer.HelpLink);

    /// <summary>EP0024: <see cref="EpRules.PrimaryConstructorLayer"/>.</summary>
    public static readonly DiagnosticDescriptor PrimaryConstructorLayer = new(
        "EP0024", EpRules.PrimaryConstructorLayer.Title, DiagnosticMessage.Format(EpRules.PrimaryConstructorLayer), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.PrimaryConstructorLayer.HelpLink);

    /// <summary>EP0025: <see cref="EpRules.FileLocalLayer"/>.</summary>
    public static readonly DiagnosticDescriptor FileLocalLayer = new(
        "EP0025", EpRules.FileLocalLayer.Title, DiagnosticMessage.Format(EpRules.FileLocalLayer), LayerCategory, DiagnosticSeverity.Error,
        isEnabledByDefault: true, description: null, helpLinkUri: EpRules.FileLocalLayer.HelpLink);
    /// <summary>Every descriptor, in ID order.</summary>
    public static ImmutableArray<DiagnosticDescriptor> All { get; } = ImmutableArray.Create(
        ClassNotPartial, ContainingTypeNotPartial, GenericLayer, NotPositive, TopKExceedsExperts, TopKAboveLimit, HiddenSizeNotAligned, UnsupportedPayload, RecvCapacityTooSmall, ExpertsNotDivisible, RanksOutOfRange, TooManyLocalExperts, MemoryAboveBudget, TooManyTokensForNcclEp, LowLatencyHiddenSize, AlignmentNotPowerOfTwo, LowLatencyNeedsExpertMajor, ZeroCopyWithLowLatency, AlignmentIgnored, NegativeMemoryBudget, LowLatencyTokenMultiple, StaticLayer, RecordLayer, PrimaryConstructorLayer, FileLocalLayer);

    private static readonly Dictionary<string, DiagnosticDescriptor> ById = All.ToDictionary(d => d.Id);

    /// <summary>The descriptor of <paramref name="rule"/>.</summary>
    public static DiagnosticDescriptor For(EpRule rule) => ById[rule.Id];
}
