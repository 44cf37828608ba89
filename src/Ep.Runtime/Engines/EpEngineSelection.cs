using System.Collections.Generic;
using Ep.Engines.NcclEp;

namespace Ep;

/// <summary>Everything <see cref="EpEngineSelector"/> decides from; gathered by the caller, so the decision is pure.</summary>
internal sealed record EpEngineSelectionInput
{
    /// <summary>What the user asked for (EpGroupOptions.Engine or EP_ENGINE).</summary>
    public EpEnginePreference Preference { get; init; }

    /// <summary>Where the group's tensors live.</summary>
    public EpDevice Device { get; init; }

    /// <summary>The GPU's capability; null on the CPU.</summary>
    public GpuCapability? Gpu { get; init; }

    /// <summary>Simulated ranks in one process, or one process per rank.</summary>
    public EpProcessKind Processes { get; init; }

    /// <summary>Whether NCCL EP loaded, and its versions.</summary>
    public required NcclEpAvailability NcclEp { get; init; }

    /// <summary>Why libnccl cannot be used (Staged across processes needs it); null when it loads.</summary>
    public string? NcclProblem { get; init; }

    /// <summary>The layer's NCCL EP mode for the reason text, e.g. "HT Flat".</summary>
    public string LayerMode { get; init; } = "HT Flat";

    /// <summary><see cref="NcclEpPreconditions.CheckLayer"/>'s findings for the layer (EP0014 among them); empty = it fits.</summary>
    public IReadOnlyList<string> NcclEpLayerProblems { get; init; } = [];
}

/// <summary>The engine chosen and a one-line reason, logged once per group.</summary>
/// <param name="Kind">The engine.</param>
/// <param name="Reason">e.g. "NcclEp: NCCL EP 0.1.0 on NCCL 2.30.7, sm_90, HT Flat fits".</param>
internal sealed record EpEngineSelection(EpEngineKind Kind, string Reason);
