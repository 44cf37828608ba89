using System;
using System.Collections.Generic;
using System.Globalization;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

/// <summary>
/// The NcclEp engine on one rank: NVIDIA's NCCL EP moves the tokens (dispatch, combine and their backward directions),
/// and the layer's generated kernels validate routing beforehand and do the local reorderings (Permute, Unpermute and
/// their gradients). One NCCL EP group and handle per layer instance; the communicator belongs to the caller.
/// </summary>
internal sealed class NcclEpEngine : IEpEngine
{
    private readonly IntPtr _communicator;
    private readonly int _rank;
    private readonly int _ranks;
    private readonly EpDevice _device;
    private readonly CudaDevice _cuda;
    private readonly CudaStreamHandle _stream;
    private readonly NcclSymmetricAllocator _symmetric;
    private readonly NcclEpVersions _versions;
    private readonly GpuCapability _gpu;
    private readonly NcclEpTuning _tuning;
    private readonly bool _stagedForUnfitLayers;
    private readonly IReadOnlyList<string> _platformProblems;
    private StagedEngine? _staged;

    // Set once HT's run-time compile environment has been resolved and exported in this process (it never needs redoing).
    private static volatile bool s_jitEnvironmentReady;
    private static readonly object s_jitGate = new();

    /// <summary>Binds to <paramref name="communicator"/> (rank <paramref name="rank"/> of <paramref name="ranks"/>) on <paramref name="device"/>.</summary>
    /// <param name="communicator">The group's communicator; the engine never destroys it.</param>
    /// <param name="rank">This rank.</param>
    /// <param name="ranks">The world size.</param>
    /// <param name="device">The GPU the communicator was created on.</param>
    /// <param name="stagedForUnfitLayers">
    /// Auto: a layer NCCL EP cannot take (e.g. MaxTokensPerRank above 8192) runs on the Staged engine over the same
    /// communicator instead of being refused. Every rank creates the same layers in the same order, so every rank
    /// makes the same choice and creates the Staged engine at the same point.
    /// </param>
    /// <param name="tuning">NCCL EP knobs (SMs, timeout).</param>
    public NcclEpEngine(IntPtr communicator, int rank, int ranks, EpDevice device, bool stagedForUnfitLayers = false, NcclEpTuning? tuning = null)
    {
        if (device.IsCpu)
        {
            throw new ArgumentException("The NcclEp engine runs on a GPU.", nameof(device));
        }

        NcclEpVersions versions = NcclEpVersions.RequireUsable();
        _versions = versions;
        _tuning = tuning ?? NcclEpTuning.Default;
        _stagedForUnfitLayers = stagedForUnfitLayers;
        _communicator = communicator;
        _rank = rank;
        _ranks = ranks;
        _device = device;
        _cuda = CudaDevice.Current(device.Ordinal);
        _gpu = new GpuCapability(_cuda.ComputeMajor, _cuda.ComputeMinor, _cuda.MultiprocessorCount);
        _platformProblems = NcclEpPreconditions.CheckPlatform(_gpu, versions);
        _stream = CudaStreamHandle.Create();
        _symmetric = new NcclSymmetricAllocator(communicator, device);
        Reason = string.Create(CultureInfo.InvariantCulture,
            $"NCCL EP {NcclEpVersions.Format(versions.NcclEpCode)} on NCCL {NcclEpVersions.Format(versions.NcclCode)}, {_cuda.Name} ({_cuda.Architecture}), rank {rank} of {ranks}");
    }

    public EpEngineKind Kind => EpEngineKind.NcclEp;

    public string Reason { get; }

    /// <summary>
    /// Checks every NCCL EP precondition for the layer (a layer NCCL EP would abort on throws here, naming each problem),
    /// prepares HT's run-time compile environment, and creates the layer's group and handle (collective).
    /// </summary>
    public IEpLayerEngine CreateLayer(EpLayerSpec spec, string kernelSource, string layerName)
    {
        _cuda.MakeCurrent();
        NcclEpTopology topology = NcclEpTopology.SingleNode(_ranks);
        IReadOnlyList<string> layerProblems = NcclEpPreconditions.CheckLayer(spec, topology, _gpu.MultiprocessorCount, _tuning);
        if (_stagedForUnfitLayers && layerProblems.Count > 0)
        {
            _staged ??= StagedEngine.ForCommunicator(_communicator, _rank, _ranks, _device, ownsCommunicator: false);
            return _staged.CreateLayer(spec, kernelSource, layerName);
        }

        NcclEpGroupSettings settings = NcclEpPreconditions.RequireLayer(spec, layerName, topology, _gpu, _platformProblems, layerProblems, _tuning);
        if (spec.Algorithm == EpAlgorithm.HighThroughput)
        {
            PrepareJitEnvironment();
        }

        var kernels = new StagedKernels(StagedKernels.Load(kernelSource, layerName, _cuda), _stream);
        return new NcclEpLayer(spec, settings, _communicator, _rank, _ranks, _cuda, _stream, kernels, _device, AllocateSymmetric<BFloat16>);
    }

    /// <summary>
    /// NCCL EP HT compiles kernels with nvcc on first use and aborts the process if it cannot: the headers and nvcc
    /// are found (or derived from EP_NCCL_EP_LIBRARY) and exported to the C environment first, or this throws. Done
    /// once per process: the exported variables stay (libc <c>setenv</c>), so later HT layers skip the file checks.
    /// </summary>
    internal static void PrepareJitEnvironment()
    {
        if (s_jitEnvironmentReady)
        {
            return;
        }

        lock (s_jitGate)
        {
            if (s_jitEnvironmentReady)
            {
                return;
            }

            // A problem is not remembered: the next HT layer resolves again (and reports its own error).
            NcclEpJitEnvironment jit = NcclEpJitEnvironment.Resolve(Environment.GetEnvironmentVariable, System.IO.Directory.Exists, System.IO.File.Exists);
            if (jit.Problem is { } problem)
            {
                throw new EpConfigurationException("NCCL EP HighThroughput cannot compile its kernels here: " + problem);
            }

            foreach ((string name, string value) in jit.VariablesToSet)
            {
                Ep.Interop.Libc.NativeEnvironment.SetIfUnset(name, value);
            }

            s_jitEnvironmentReady = true;
        }
    }

    public SymmetricTensor<T> AllocateSymmetric<T>(int rows, int columns)
        where T : unmanaged
    {
        _cuda.MakeCurrent();
        return _symmetric.Allocate<T>(rows, columns);
    }

    public void Dispose()
    {
        _staged?.Dispose();
        _cuda.MakeCurrent();
        _stream.Synchronize();
        _symmetric.ReleaseAll();
        _stream.Dispose();
    }
}
