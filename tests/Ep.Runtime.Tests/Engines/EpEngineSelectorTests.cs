using System.Collections.Generic;
using Ep.Engines.NcclEp;
using Ep.Interop.NcclEp;
using Xunit;

namespace Ep.Runtime.Tests.Engines;

/// <summary>Every branch of the engine choice, and EP_ENGINE parsing.</summary>
public sealed class EpEngineSelectorTests
{
    private static readonly NcclEpAvailability Loaded = NcclEpAvailability.Loaded(new NcclEpVersions(100, 23007));
    private static readonly NcclEpAvailability Missing = NcclEpAvailability.NotFound(_ => null);

    private static EpEngineSelectionInput Gpu(EpEnginePreference preference = EpEnginePreference.Auto, NcclEpAvailability? ncclEp = null,
        int major = 9, EpProcessKind processes = EpProcessKind.Processes, IReadOnlyList<string>? layerProblems = null, string? ncclProblem = null) => new()
    {
        Preference = preference,
        Device = EpDevice.Gpu(0),
        Gpu = new GpuCapability(major, 0, 132),
        Processes = processes,
        NcclEp = ncclEp ?? Loaded,
        NcclProblem = ncclProblem,
        LayerMode = "HT Flat",
        NcclEpLayerProblems = layerProblems ?? [],
    };

    private static EpEngineSelectionInput Cpu(EpEnginePreference preference = EpEnginePreference.Auto, EpProcessKind processes = EpProcessKind.SimulatedRanks) => new()
    {
        Preference = preference,
        Device = EpDevice.Cpu,
        Processes = processes,
        NcclEp = Missing,
    };

    [Fact]
    public void Auto_picks_nccl_ep_when_it_loads_and_fits()
    {
        Assert.Equal(new EpEngineSelection(EpEngineKind.NcclEp, "NcclEp: NCCL EP 0.1.0 on NCCL 2.30.7, sm_90, HT Flat fits"), EpEngineSelector.Select(Gpu()));
    }

    [Fact]
    public void Auto_falls_back_to_staged_when_nccl_ep_is_missing()
    {
        Assert.Equal(new EpEngineSelection(EpEngineKind.Staged, "Staged: NCCL EP not found (EP_NCCL_EP_LIBRARY unset; tried libnccl_ep.so.0, libnccl_ep.so)"),
            EpEngineSelector.Select(Gpu(ncclEp: Missing)));
    }

    [Fact]
    public void Missing_override_is_named()
    {
        NcclEpAvailability missing = NcclEpAvailability.NotFound(name => name == "EP_NCCL_EP_LIBRARY" ? "/opt/ep/lib/libnccl_ep.so" : null);
        Assert.Equal("Staged: NCCL EP not found (EP_NCCL_EP_LIBRARY=/opt/ep/lib/libnccl_ep.so does not load)", EpEngineSelector.Select(Gpu(ncclEp: missing)).Reason);
    }

    [Fact]
    public void Auto_falls_back_to_staged_on_pre_hopper_gpus()
    {
        Assert.Equal("Staged: GPU is sm_80; NCCL EP needs sm_90 or newer (Hopper, Blackwell): its kernels are built only for those and use TMA",
            EpEngineSelector.Select(Gpu(major: 8)).Reason);
    }

    [Fact]
    public void Auto_falls_back_to_staged_on_old_nccl()
    {
        EpEngineSelection chosen = EpEngineSelector.Select(Gpu(ncclEp: NcclEpAvailability.Loaded(new NcclEpVersions(100, 22809))));
        Assert.Equal(EpEngineKind.Staged, chosen.Kind);
        Assert.StartsWith("Staged: NCCL 2.28.9 is loaded, but NCCL EP needs NCCL ≥ 2.30.3", chosen.Reason);
    }

    [Fact]
    public void Auto_falls_back_to_staged_when_the_layer_does_not_fit_EP0014()
    {
        IReadOnlyList<string> problems = NcclEpPreconditions.CheckLayer(
            new EpLayerSpec { Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 16384 }, NcclEpTopology.SingleNode(8), 132);

        Assert.Equal(new EpEngineSelection(EpEngineKind.Staged,
            "Staged: HT Flat does not fit NCCL EP: MaxTokensPerRank = 16384 is above NCCL EP's MAX_SUPPORTED_TOKENS_PER_RANK = 8192 (asserted in ncclEpCreateGroup) (EP0014)"),
            EpEngineSelector.Select(Gpu(layerProblems: problems)));
    }

    [Fact]
    public void Several_problems_are_counted_in_the_one_line_reason()
    {
        Assert.Equal("Staged: HT Flat does not fit NCCL EP: first (and 2 more)", EpEngineSelector.Select(Gpu(layerProblems: ["first.", "second.", "third."])).Reason);
    }

    [Fact]
    public void Auto_uses_staged_for_simulated_ranks_on_a_gpu()
    {
        Assert.Equal("Staged: simulated ranks share one GPU; NCCL EP needs one process per GPU with an NCCL communicator",
            EpEngineSelector.Select(Gpu(processes: EpProcessKind.SimulatedRanks)).Reason);
    }

    [Fact]
    public void Auto_uses_reference_without_a_gpu()
    {
        Assert.Equal(new EpEngineSelection(EpEngineKind.Reference, "Reference: no GPU (the group runs on the CPU)"), EpEngineSelector.Select(Cpu()));
    }

    [Fact]
    public void Auto_throws_when_nothing_can_run()
    {
        var cpu = Assert.Throws<EpConfigurationException>(() => EpEngineSelector.Select(Cpu(processes: EpProcessKind.Processes)));
        Assert.Equal("No engine can run this group (cpu, one process per rank): the Reference engine runs simulated ranks in one process (EpWorld.RunSimulated), not one process per rank.", cpu.Message);

        var gpu = Assert.Throws<EpConfigurationException>(() => EpEngineSelector.Select(Gpu(ncclEp: Missing, ncclProblem: "libnccl.so.2 not found")));
        Assert.Equal("No engine can run this group (cuda:0, one process per rank): NCCL EP not found (EP_NCCL_EP_LIBRARY unset; tried libnccl_ep.so.0, libnccl_ep.so); Staged: the Staged engine exchanges tokens across processes with NCCL, which is unusable: libnccl.so.2 not found.", gpu.Message);
    }

    [Fact]
    public void Requested_nccl_ep_that_cannot_run_throws_with_the_reason()
    {
        var e = Assert.Throws<EpConfigurationException>(() => EpEngineSelector.Select(Gpu(EpEnginePreference.NcclEp, ncclEp: Missing)));
        Assert.Equal("The NcclEp engine was requested (EpGroupOptions.Engine or EP_ENGINE) but cannot run: NCCL EP not found (EP_NCCL_EP_LIBRARY unset; tried libnccl_ep.so.0, libnccl_ep.so).", e.Message);

        Assert.Equal(EpEngineKind.NcclEp, EpEngineSelector.Select(Gpu(EpEnginePreference.NcclEp)).Kind);
        Assert.Throws<EpConfigurationException>(() => EpEngineSelector.Select(Cpu(EpEnginePreference.NcclEp)));
    }

    [Fact]
    public void Requested_staged_needs_a_gpu()
    {
        var e = Assert.Throws<EpConfigurationException>(() => EpEngineSelector.Select(Cpu(EpEnginePreference.Staged)));
        Assert.Equal("The Staged engine was requested (EpGroupOptions.Engine or EP_ENGINE) but cannot run: the Staged engine runs generated CUDA kernels and needs a GPU, but the group runs on the CPU.", e.Message);
        Assert.Equal(new EpEngineSelection(EpEngineKind.Staged, "Staged: requested"), EpEngineSelector.Select(Gpu(EpEnginePreference.Staged)));
    }

    [Fact]
    public void Requested_reference_needs_the_cpu()
    {
        var e = Assert.Throws<EpConfigurationException>(() => EpEngineSelector.Select(Gpu(EpEnginePreference.Reference)));
        Assert.Equal("The Reference engine was requested (EpGroupOptions.Engine or EP_ENGINE) but cannot run: the Reference engine computes on the CPU, but the group's tensors are on cuda:0; run on EpDevice.Cpu.", e.Message);
        Assert.Equal(EpEngineKind.Reference, EpEngineSelector.Select(Cpu(EpEnginePreference.Reference)).Kind);
    }

    [Theory]
    [InlineData(null, EpEnginePreference.Auto)]
    [InlineData("", EpEnginePreference.Auto)]
    [InlineData("auto", EpEnginePreference.Auto)]
    [InlineData(" Reference ", EpEnginePreference.Reference)]
    [InlineData("STAGED", EpEnginePreference.Staged)]
    [InlineData("nccl-ep", EpEnginePreference.NcclEp)]
    public void Ep_engine_values_parse(string? value, EpEnginePreference expected)
    {
        Assert.Equal(expected, EpEnginePreferenceParser.Parse(value));
        Assert.Equal(expected, EpEnginePreferenceParser.Parse(EpEnginePreferenceParser.Name(expected)));
    }

    [Fact]
    public void Unknown_ep_engine_value_names_the_accepted_ones()
    {
        var e = Assert.Throws<EpConfigurationException>(() => EpEnginePreferenceParser.Parse("nccl_ep"));
        Assert.Equal("EP_ENGINE is 'nccl_ep', which is not an engine; use one of auto, reference, staged, nccl-ep (or leave it unset for auto).", e.Message);
    }

    [Fact]
    public void Options_engine_wins_over_the_environment()
    {
        static string? Environment(string name) => name == "EP_ENGINE" ? "staged" : null;
        Assert.Equal(EpEnginePreference.Staged, new EpGroupOptions().ResolveEngine(Environment));
        Assert.Equal(EpEnginePreference.Reference, new EpGroupOptions { Engine = EpEnginePreference.Reference }.ResolveEngine(Environment));
        Assert.Equal(EpEnginePreference.Auto, new EpGroupOptions().ResolveEngine(_ => null));
    }
}
