using System;
using System.Collections.Generic;
using System.Globalization;
using Ep.Engines.NcclEp;
using Ep.Interop.NcclEp;

namespace Ep;

/// <summary>
/// Chooses the engine for a group and says why in one line (DESIGN.md §5; the rules are tabulated in docs/engines.md).
/// Auto: NCCL EP when it can run here and fits the layer, else Staged on a GPU, else Reference. An engine requested
/// explicitly that cannot run throws <see cref="EpConfigurationException"/> with the reason, instead of falling back.
/// </summary>
internal static class EpEngineSelector
{
    /// <summary>Decides; pure.</summary>
    public static EpEngineSelection Select(EpEngineSelectionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Preference switch
        {
            EpEnginePreference.Auto => SelectAuto(input),
            EpEnginePreference.Reference => Require(EpEngineKind.Reference, WhyNotReference(input), () => "Reference: " + ReferenceReason(input)),
            EpEnginePreference.Staged => Require(EpEngineKind.Staged, WhyNotStaged(input), () => "Staged: requested"),
            EpEnginePreference.NcclEp => Require(EpEngineKind.NcclEp, WhyNotNcclEp(input), () => NcclEpReason(input)),
            _ => throw new ArgumentOutOfRangeException(nameof(input), input.Preference, "Unknown engine preference."),
        };
    }

    private static EpEngineSelection SelectAuto(EpEngineSelectionInput input)
    {
        if (input.Device.IsCpu)
        {
            return WhyNotReference(input) is { } problem
                ? throw NoEngine(input, problem)
                : new EpEngineSelection(EpEngineKind.Reference, "Reference: " + ReferenceReason(input));
        }

        string? whyNotNcclEp = WhyNotNcclEp(input);
        if (whyNotNcclEp is null)
        {
            return new EpEngineSelection(EpEngineKind.NcclEp, NcclEpReason(input));
        }

        if (WhyNotStaged(input) is { } whyNotStaged)
        {
            throw NoEngine(input, whyNotNcclEp + "; Staged: " + whyNotStaged);
        }

        return new EpEngineSelection(EpEngineKind.Staged, "Staged: " + whyNotNcclEp);
    }

    private static string ReferenceReason(EpEngineSelectionInput input) =>
        input.Device.IsCpu ? "no GPU (the group runs on the CPU)" : "requested";

    private static string? WhyNotReference(EpEngineSelectionInput input)
    {
        if (!input.Device.IsCpu)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"the Reference engine computes on the CPU, but the group's tensors are on {input.Device}; run on EpDevice.Cpu");
        }

        return input.Processes == EpProcessKind.Processes
            ? "the Reference engine runs simulated ranks in one process (EpWorld.RunSimulated), not one process per rank"
            : null;
    }

    private static string? WhyNotStaged(EpEngineSelectionInput input)
    {
        if (input.Device.IsCpu)
        {
            return "the Staged engine runs generated CUDA kernels and needs a GPU, but the group runs on the CPU";
        }

        return input.Processes == EpProcessKind.Processes && input.NcclProblem is { } nccl
            ? "the Staged engine exchanges tokens across processes with NCCL, which is unusable: " + nccl
            : null;
    }

    /// <summary>The first reason NCCL EP cannot run, as the tail of "Staged: …"; null when it can.</summary>
    private static string? WhyNotNcclEp(EpEngineSelectionInput input)
    {
        if (input.Device.IsCpu || input.Gpu is not { } gpu)
        {
            return "no GPU; NCCL EP needs an sm_90+ GPU per rank";
        }

        if (input.Processes == EpProcessKind.SimulatedRanks)
        {
            return "simulated ranks share one GPU; NCCL EP needs one process per GPU with an NCCL communicator";
        }

        if (input.NcclEp.Versions is not { } versions)
        {
            return input.NcclEp.Problem ?? "NCCL EP not loaded";
        }

        IReadOnlyList<string> platform = NcclEpPreconditions.CheckPlatform(gpu, versions);
        if (platform.Count > 0)
        {
            return Summary(platform);
        }

        return input.NcclEpLayerProblems.Count > 0
            ? input.LayerMode + " does not fit NCCL EP: " + Summary(input.NcclEpLayerProblems)
            : null;
    }

    private static string NcclEpReason(EpEngineSelectionInput input)
    {
        NcclEpVersions versions = input.NcclEp.Versions!;
        return string.Create(CultureInfo.InvariantCulture,
            $"NcclEp: NCCL EP {NcclEpVersions.Format(versions.NcclEpCode)} on NCCL {NcclEpVersions.Format(versions.NcclCode)}, {input.Gpu!.Value.Architecture}, {input.LayerMode} fits");
    }

    /// <summary>The reason is built only when the engine can run (it reads the versions, which are absent otherwise).</summary>
    private static EpEngineSelection Require(EpEngineKind kind, string? problem, Func<string> reason) =>
        problem is null
            ? new EpEngineSelection(kind, reason())
            : throw new EpConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"The {kind} engine was requested (EpGroupOptions.Engine or {EpEnginePreferenceParser.EnvironmentVariable}) but cannot run: {problem}."));

    private static EpConfigurationException NoEngine(EpEngineSelectionInput input, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"No engine can run this group ({input.Device}, {(input.Processes == EpProcessKind.Processes ? "one process per rank" : "simulated ranks")}): {problem}."));

    /// <summary>One line: the first problem without its final period, and how many more there are.</summary>
    private static string Summary(IReadOnlyList<string> problems)
    {
        string first = problems[0].TrimEnd('.');
        return problems.Count == 1
            ? first
            : string.Create(CultureInfo.InvariantCulture, $"{first} (and {problems.Count - 1} more)");
    }
}
