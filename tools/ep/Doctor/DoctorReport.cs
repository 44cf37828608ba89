using System.Collections.Generic;

namespace Ep.Tool.Doctor;

/// <summary>One CUDA device.</summary>
/// <param name="Ordinal">Device index.</param>
/// <param name="Name">The driver's name, e.g. "NVIDIA H100 80GB HBM3".</param>
/// <param name="Architecture">sm_XX.</param>
/// <param name="Multiprocessors">SM count.</param>
internal sealed record GpuFacts(int Ordinal, string Name, string Architecture, int Multiprocessors);

/// <summary>The CUDA driver and its devices.</summary>
/// <param name="DriverVersion">e.g. "13.0"; null when libcuda did not load.</param>
/// <param name="Devices">Empty without a driver or a device.</param>
/// <param name="Problem">Why there is no usable GPU; null when there is one.</param>
/// <param name="Library">The libcuda file loaded (from /proc/self/maps); null when unknown.</param>
internal sealed record CudaFacts(string? DriverVersion, IReadOnlyList<GpuFacts> Devices, string? Problem, string? Library = null);

/// <summary>A native library and its version.</summary>
/// <param name="Version">e.g. "12.8" or "2.30.7"; null when it did not load.</param>
/// <param name="Problem">Why it cannot be used; null when it can.</param>
/// <param name="Library">The file loaded (from /proc/self/maps); null when unknown or not loaded.</param>
internal sealed record LibraryFacts(string? Version, string? Problem, string? Library = null);

/// <summary>NCCL EP as the engine selector sees it.</summary>
/// <param name="Version">NCCL EP's version; null when it did not load.</param>
/// <param name="NcclVersion">The libnccl it runs on.</param>
/// <param name="Problem">Why Ep cannot drive it (not found, or a version mismatch); null when it can.</param>
/// <param name="Library">The libnccl_ep file loaded; null when unknown or not loaded.</param>
/// <param name="Warning">
/// Set when more than one libnccl file is loaded in this process: NCCL EP's own libnccl dependency may then be another
/// copy than the one Ep checked (EP_NCCL_LIBRARY).
/// </param>
internal sealed record NcclEpFacts(string? Version, string? NcclVersion, string? Problem, string? Library = null, string? Warning = null);

/// <summary>What NCCL EP HighThroughput's run-time nvcc compile needs (<c>NcclEpJitEnvironment</c>).</summary>
/// <param name="VariablesToSet">What Ep would export before the first HT group.</param>
/// <param name="Problem">A missing header folder or nvcc; null when the compile can work.</param>
internal sealed record JitFacts(IReadOnlyDictionary<string, string> VariablesToSet, string? Problem);

/// <summary>The engine <c>Auto</c> (or EP_ENGINE) would pick for one way of running the ranks.</summary>
/// <param name="Processes">"simulated ranks" (EpWorld.RunSimulated) or "one process per rank" (EpGroup.FromEnvironment, ep run).</param>
/// <param name="Engine">Reference, Staged, NcclEp, or null when no engine can run.</param>
/// <param name="Reason">The selector's reason line, or the exception's message.</param>
internal sealed record EngineDecision(string Processes, EpEngineKind? Engine, string Reason);

/// <summary>The optional layer's checks and engine decisions.</summary>
/// <param name="Mode">e.g. "HT Flat".</param>
/// <param name="Ranks">World size assumed.</param>
/// <param name="RuleViolations">EP00xx rules broken at that rank count.</param>
/// <param name="NcclEpProblems">NCCL EP limits the layer breaks (only checked with a GPU: some depend on its SM count).</param>
/// <param name="Decisions">One per way of running the ranks.</param>
internal sealed record LayerFacts(string Mode, int Ranks, IReadOnlyList<string> RuleViolations, IReadOnlyList<string> NcclEpProblems, IReadOnlyList<EngineDecision> Decisions);

/// <summary>A piece named with <c>--require</c>, and whether this machine has it.</summary>
internal sealed record RequirementCheck(string Name, bool Met, string Detail);

/// <summary>Everything <c>ep doctor</c> found.</summary>
internal sealed record DoctorReport(
    CudaFacts Cuda,
    LibraryFacts Nvrtc,
    LibraryFacts Nccl,
    NcclEpFacts NcclEp,
    JitFacts HighThroughputJit,
    LayerFacts? Layer,
    IReadOnlyList<RequirementCheck> Requirements,
    int ExitCode);
