using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

/// <summary>
/// Group- and layer-level preconditions of NCCL EP v0.1, checked in C# before any native call because the library
/// asserts, throws C++ exceptions through C or exits on misuse (reference notes §0). Per-call checks are in
/// <see cref="NcclEpCallPreconditions"/>. Every message names the value, what NCCL EP requires and why.
/// </summary>
internal static class NcclEpPreconditions
{
    /// <summary>Problems with the GPU or the loaded libraries; empty when NCCL EP can run here at all.</summary>
    public static IReadOnlyList<string> CheckPlatform(GpuCapability gpu, NcclEpVersions versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var found = new List<string>();
        if (gpu.Major < NcclEpLimits.MinComputeMajor)
        {
            found.Add(Text($"GPU is {gpu.Architecture}; NCCL EP needs sm_{NcclEpLimits.MinComputeMajor}0 or newer (Hopper, Blackwell): its kernels are built only for those and use TMA."));
        }

        if (versions.Problem() is { } problem)
        {
            found.Add(problem);
        }

        return found;
    }

    /// <summary>
    /// Every NCCL EP limit <paramref name="spec"/> breaks on <paramref name="topology"/> with a GPU of
    /// <paramref name="deviceSms"/> SMs; empty when NCCL EP can run the layer. Never throws for bad values.
    /// </summary>
    public static IReadOnlyList<string> CheckLayer(EpLayerSpec spec, NcclEpTopology topology, int deviceSms, NcclEpTuning? tuning = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(topology);
        tuning ??= NcclEpTuning.Default;
        var found = new List<string>();
        bool topologyValid = CheckTopology(topology, found);
        bool sizesValid = CheckSizes(spec, found);
        CheckTuning(tuning, found);
        if (!topologyValid || !sizesValid)
        {
            return found;
        }

        if (spec.Experts % topology.WorldSize != 0)
        {
            found.Add(Text($"Experts = {spec.Experts} does not divide over {topology.WorldSize} ranks; NCCL EP requires num_experts % nRanks == 0 (asserted in ncclEpInitHandle)."));
            return found;
        }

        int localExperts = spec.Experts / topology.WorldSize;
        if (localExperts > NcclEpLimits.MaxLocalExperts)
        {
            found.Add(Text($"{localExperts} local experts ({spec.Experts} experts over {topology.WorldSize} ranks) is above NCCL EP's NUM_MAX_LOCAL_EXPERTS = {NcclEpLimits.MaxLocalExperts}; use more ranks."));
        }

        NcclEpGroupSettings settings = NcclEpGroupSettings.Create(spec, topology.WorldSize, deviceSms, tuning);
        if (spec.Algorithm == EpAlgorithm.LowLatency)
        {
            CheckLowLatency(spec, settings, found);
        }
        else
        {
            CheckHighThroughput(spec, topology, settings, found);
        }

        CheckSms(spec, settings, deviceSms, found);
        return found;
    }

    /// <summary>
    /// Checks the platform and the layer and returns the settings to create the group with, or throws
    /// <see cref="EpConfigurationException"/> listing every problem.
    /// </summary>
    public static NcclEpGroupSettings RequireLayer(EpLayerSpec spec, string layerName, NcclEpTopology topology, GpuCapability gpu,
        NcclEpVersions versions, NcclEpTuning? tuning = null) =>
        RequireLayer(spec, layerName, topology, gpu, CheckPlatform(gpu, versions), CheckLayer(spec, topology, gpu.MultiprocessorCount, tuning), tuning);

    /// <summary>
    /// <see cref="RequireLayer(EpLayerSpec, string, NcclEpTopology, GpuCapability, NcclEpVersions, NcclEpTuning?)"/> with
    /// the findings already made: <paramref name="platformProblems"/> from <see cref="CheckPlatform"/> (once per engine)
    /// and <paramref name="layerProblems"/> from <see cref="CheckLayer"/> for this layer (once per layer).
    /// </summary>
    public static NcclEpGroupSettings RequireLayer(EpLayerSpec spec, string layerName, NcclEpTopology topology, GpuCapability gpu,
        IReadOnlyList<string> platformProblems, IReadOnlyList<string> layerProblems, NcclEpTuning? tuning = null)
    {
        if (platformProblems.Count + layerProblems.Count > 0)
        {
            throw new EpConfigurationException(Text($"Layer '{layerName}' cannot run on NCCL EP: ") + string.Join(" ", platformProblems.Concat(layerProblems)));
        }

        return NcclEpGroupSettings.Create(spec, topology.WorldSize, gpu.MultiprocessorCount, tuning);
    }

    /// <summary>A short description of the NCCL EP mode a layer uses, e.g. "HT Flat" or "LL ExpertMajor".</summary>
    public static string ModeName(EpLayerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Algorithm == EpAlgorithm.LowLatency ? "LL ExpertMajor" : "HT " + spec.Layout.ToString();
    }

    private static bool CheckTopology(NcclEpTopology topology, List<string> found)
    {
        int before = found.Count;
        if (topology.WorldSize < 1 || topology.WorldSize > EpRules.MaxRanks)
        {
            found.Add(Text($"World size is {topology.WorldSize}; NCCL EP supports 1 to {EpRules.MaxRanks} ranks (8 nodes × 8 GPUs)."));
            return false;
        }

        if (topology.LsaSize < 1 || topology.LsaSize > NcclEpLimits.MaxGpusPerNode)
        {
            found.Add(Text($"Ranks per node (LSA size) is {topology.LsaSize}; NCCL EP supports 1 to {NcclEpLimits.MaxGpusPerNode} GPUs per node."));
        }
        else if (topology.WorldSize % topology.LsaSize != 0)
        {
            found.Add(Text($"World size {topology.WorldSize} is not a multiple of the ranks per node ({topology.LsaSize}); NCCL EP requires rail team × LSA team = nRanks (asserted in ncclEpCreateGroup)."));
        }
        else if (topology.Nodes > NcclEpLimits.MaxNodes)
        {
            found.Add(Text($"{topology.Nodes} nodes of {topology.LsaSize} ranks; NCCL EP supports at most {NcclEpLimits.MaxNodes} nodes."));
        }

        return found.Count == before;
    }

    private static bool CheckSizes(EpLayerSpec spec, List<string> found)
    {
        int before = found.Count;
        RequirePositive(nameof(spec.Experts), spec.Experts, "num_experts", found);
        RequirePositive(nameof(spec.TopK), spec.TopK, "num_topk (ncclEpInitHandle asserts num_topk > 0 in both modes)", found);
        RequirePositive(nameof(spec.HiddenSize), spec.HiddenSize, "max_token_bytes", found);
        RequirePositive(nameof(spec.MaxTokensPerRank), spec.MaxTokensPerRank, "max_dispatch_tokens_per_rank", found);
        if (found.Count > before)
        {
            return false;
        }

        if (spec.Payload != EpPayload.BFloat16)
        {
            found.Add(Text($"Payload is {spec.Payload}; NCCL EP v0.1 moves bf16 only (it asserts ncclBfloat16; FP8 is listed as not supported)."));
        }

        if (spec.MaxTokensPerRank > EpRules.MaxNcclEpTokensPerRank)
        {
            found.Add(Text($"MaxTokensPerRank = {spec.MaxTokensPerRank} is above NCCL EP's MAX_SUPPORTED_TOKENS_PER_RANK = {EpRules.MaxNcclEpTokensPerRank} (asserted in ncclEpCreateGroup) ({EpRules.TooManyTokensForNcclEp.Id})."));
        }

        bool lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        int topKLimit = lowLatency ? EpRules.MaxTopKLowLatency : EpRules.MaxTopKHighThroughput;
        if (spec.TopK > topKLimit)
        {
            found.Add(Text($"TopK = {spec.TopK} is above NCCL EP's {(lowLatency ? "LowLatency" : "HighThroughput")} limit of {topKLimit}."));
        }

        if ((long)spec.HiddenSize * NcclEpLimits.BFloat16Bytes % NcclEpLimits.RowBytesMultiple != 0)
        {
            found.Add(Text($"HiddenSize = {spec.HiddenSize} gives {spec.HiddenSize * NcclEpLimits.BFloat16Bytes}-byte rows; NCCL EP moves rows with TMA and needs hidden × 2 to be a multiple of {NcclEpLimits.RowBytesMultiple}."));
        }

        return true;
    }

    private static void CheckTuning(NcclEpTuning tuning, List<string> found)
    {
        if (tuning.Timeout is { } timeout && timeout.Ticks * 100 < NcclEpLimits.TimeoutResolutionNanoseconds)
        {
            found.Add(Text($"NCCL EP timeout is {timeout.TotalMilliseconds} ms; NCCL EP truncates timeout_ns to whole milliseconds, so anything under 1 ms would silently mean no timeout."));
        }

        if (tuning.MaxNumSms is <= 0)
        {
            found.Add(Text($"max_num_sms is {tuning.MaxNumSms}; it must be positive (leave it unset for NCCL EP's default)."));
        }
    }

    private static void CheckLowLatency(EpLayerSpec spec, NcclEpGroupSettings settings, List<string> found)
    {
        if (spec.Layout != EpLayout.ExpertMajor)
        {
            found.Add(Text($"Layout is {spec.Layout} with Algorithm LowLatency; NCCL EP LL supports ExpertMajor (and RankMajor, which Ep does not expose), any other layout asserts."));
        }

        if (spec.Experts >= NcclEpLimits.LowLatencyExpertsBound)
        {
            found.Add(Text($"Experts = {spec.Experts}; NCCL EP LowLatency carries expert ids as uint16 and needs fewer than {NcclEpLimits.LowLatencyExpertsBound} experts."));
        }

        if (Array.IndexOf(EpRules.LowLatencyHiddenSizes, spec.HiddenSize) < 0)
        {
            found.Add(Text($"HiddenSize = {spec.HiddenSize} is not one of NCCL EP LowLatency's compiled sizes ({string.Join(", ", EpRules.LowLatencyHiddenSizes.Select(h => h.ToString(CultureInfo.InvariantCulture)))})."));
        }

        long rows = (long)spec.MaxTokensPerRank * settings.LocalExperts;
        if (rows % NcclEpLimits.LowLatencyRowsMultiple != 0)
        {
            found.Add(Text($"MaxTokensPerRank × local experts = {spec.MaxTokensPerRank} × {settings.LocalExperts} = {rows} is not a multiple of {NcclEpLimits.LowLatencyRowsMultiple}, as NCCL EP LowLatency asserts in ncclEpInitHandle."));
        }

        if (spec.ZeroCopy)
        {
            found.Add("ZeroCopy is set with Algorithm LowLatency; NCCL EP LL reads tensors by pointer and cannot use window-backed (symmetric) tensors.");
        }
    }

    private static void CheckHighThroughput(EpLayerSpec spec, NcclEpTopology topology, NcclEpGroupSettings settings, List<string> found)
    {
        int localExperts = settings.LocalExperts;
        if (spec.Layout == EpLayout.ExpertMajor && localExperts > EpRules.MaxLocalExpertsExpertMajor)
        {
            found.Add(Text($"ExpertMajor layout with {localExperts} local experts; NCCL EP HT ExpertMajor keeps fixed arrays of {EpRules.MaxLocalExpertsExpertMajor} (HYBRIDEP_MAX_LOCAL_EXPERTS_PER_RANK) without checking and hangs beyond that; use EpLayout.Flat or more ranks."));
        }

        if (spec.Layout == EpLayout.ExpertMajor && (spec.ExpertAlignment < 0 || (spec.ExpertAlignment & (spec.ExpertAlignment - 1)) != 0))
        {
            found.Add(Text($"ExpertAlignment = {spec.ExpertAlignment}; NCCL EP asserts that dispatch_output_per_expert_alignment is a power of two."));
        }

        long expertsPerNode = (long)localExperts * topology.LsaSize;
        if (expertsPerNode % NcclEpLimits.HighThroughputExpertsPerNodeMultiple != 0)
        {
            found.Add(Text($"Local experts × ranks per node = {localExperts} × {topology.LsaSize} = {expertsPerNode} is not a multiple of {NcclEpLimits.HighThroughputExpertsPerNodeMultiple}; NCCL EP HT moves each token's routing probabilities with TMA in 16-byte units and asserts this."));
        }

        if (spec.Layout == EpLayout.Flat && topology.LsaSize <= 3 && spec.MaxTokensPerRank % 2 != 0)
        {
            found.Add(Text($"MaxTokensPerRank = {spec.MaxTokensPerRank} is odd; NCCL EP HT Flat with {topology.LsaSize} rank(s) per node (3 or fewer) needs an even max_dispatch_tokens_per_rank."));
        }

        if (settings.MaxRecvTokensPerRank < spec.MaxTokensPerRank)
        {
            found.Add(Text($"max_recv_tokens_per_rank = {settings.MaxRecvTokensPerRank} (RecvCapacityPerRank) is below max_dispatch_tokens_per_rank = {spec.MaxTokensPerRank}; NCCL EP HT asserts max_recv ≥ max_dispatch > 0."));
        }
        else if (settings.MaxRecvTokensPerRank > int.MaxValue)
        {
            found.Add(Text($"max_recv_tokens_per_rank = {settings.MaxRecvTokensPerRank} rows for {NcclEpPreconditions.ModeName(spec)} does not fit NCCL EP's int slot count ({int.MaxValue}); lower RecvCapacityPerRank or MaxTokensPerRank, or use EpLayout.Flat."));
        }
    }

    private static void CheckSms(EpLayerSpec spec, NcclEpGroupSettings settings, int deviceSms, List<string> found)
    {
        if (settings.MaxNumSms > deviceSms)
        {
            found.Add(Text($"max_num_sms = {settings.MaxNumSms} is above the GPU's {deviceSms} SMs; NCCL EP requires max_num_sms ≤ the device's SM count."));
        }

        if (spec.Algorithm == EpAlgorithm.LowLatency && settings.MaxNumSms > 0)
        {
            long warpGroups = ((long)spec.Experts + settings.MaxNumSms - 1) / settings.MaxNumSms;
            if (warpGroups > NcclEpLimits.LowLatencyMaxWarpGroups)
            {
                long needed = ((long)spec.Experts + NcclEpLimits.LowLatencyMaxWarpGroups - 1) / NcclEpLimits.LowLatencyMaxWarpGroups;
                found.Add(Text($"ceil(Experts / max_num_sms) = ceil({spec.Experts} / {settings.MaxNumSms}) = {warpGroups} is above NCCL EP LowLatency's {NcclEpLimits.LowLatencyMaxWarpGroups} warp groups per SM; it needs at least {needed} SMs."));
            }
        }
    }

    private static void RequirePositive(string property, int value, string field, List<string> found)
    {
        if (value <= 0)
        {
            found.Add(Text($"{property} = {value}; NCCL EP needs a positive {field}."));
        }
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
