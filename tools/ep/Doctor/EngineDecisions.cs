using System;
using System.Collections.Generic;
using System.Linq;
using Ep.Engines.NcclEp;

namespace Ep.Tool.Doctor;

/// <summary>
/// Asks <see cref="EpEngineSelector"/> what it would pick for a layer on this machine, for simulated ranks and for one
/// process per rank, from the same inputs a group gathers (GPU 0, NCCL EP's availability, the layer's NCCL EP limits).
/// </summary>
internal static class EngineDecisions
{
    /// <summary>The layer's checks and the two decisions.</summary>
    public static LayerFacts Decide(EpLayerSpec spec, int ranks, CudaFacts cuda, LibraryFacts nccl, NcclEpAvailability ncclEp, EpEnginePreference preference)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(cuda);
        ArgumentNullException.ThrowIfNull(nccl);
        ArgumentNullException.ThrowIfNull(ncclEp);
        GpuFacts? gpu = cuda.Devices.Count > 0 ? cuda.Devices[0] : null;
        GpuCapability? capability = gpu is null ? null : Capability(gpu);

        // The SM-dependent limits need a real GPU; without one the selector stops at "no GPU" before reading them.
        IReadOnlyList<string> ncclEpProblems = capability is { } c
            ? NcclEpPreconditions.CheckLayer(spec, NcclEpTopology.SingleNode(ranks), c.MultiprocessorCount)
            : [];
        IReadOnlyList<string> rules = EpLayerRules.Check(spec, ranks).Select(v => v.ToString()).ToList();

        var decisions = new List<EngineDecision>();
        foreach ((EpProcessKind kind, string name) in new[] { (EpProcessKind.SimulatedRanks, "simulated ranks"), (EpProcessKind.Processes, "one process per rank") })
        {
            var input = new EpEngineSelectionInput
            {
                Preference = preference,
                Device = gpu is null ? EpDevice.Cpu : EpDevice.Gpu(0),
                Gpu = capability,
                Processes = kind,
                NcclEp = ncclEp,
                NcclProblem = nccl.Problem,
                LayerMode = NcclEpPreconditions.ModeName(spec),
                NcclEpLayerProblems = ncclEpProblems,
            };
            decisions.Add(Decide(name, input));
        }

        return new LayerFacts(NcclEpPreconditions.ModeName(spec), ranks, rules, ncclEpProblems, decisions);
    }

    private static EngineDecision Decide(string name, EpEngineSelectionInput input)
    {
        try
        {
            EpEngineSelection selection = EpEngineSelector.Select(input);
            return new EngineDecision(name, selection.Kind, selection.Reason);
        }
        catch (EpConfigurationException e)
        {
            return new EngineDecision(name, null, e.Message);
        }
    }

    /// <summary>Parses "sm_90" back into major and minor (the probe stored the name the selector's messages use).</summary>
    private static GpuCapability Capability(GpuFacts gpu)
    {
        string digits = gpu.Architecture["sm_".Length..];
        int major = int.Parse(digits[..^1], System.Globalization.CultureInfo.InvariantCulture);
        int minor = digits[^1] - '0';
        return new GpuCapability(major, minor, gpu.Multiprocessors);
    }
}
