using System;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

/// <summary>
/// One layer instance on one rank of the NcclEp engine. NCCL EP moves the rows: Dispatch (forward), Combine (forward),
/// CombineBackward (Dispatch in the backward direction) and DispatchBackward (Combine in the backward direction); the
/// layer's kernels check routing first and do the local reorderings. Counts come from the routing summaries every rank
/// gathers before NCCL EP is called, so the host never waits for NCCL EP's own counters.
/// </summary>
internal sealed unsafe partial class NcclEpLayer : IEpLayerEngine, IEpCapturableLayer
{
    private readonly EpLayerSpec _spec;
    private readonly int _rank;
    private readonly CudaDevice _device;
    private readonly CudaStreamHandle _stream;
    private readonly StagedKernels _kernels;
    private readonly NcclEpLayerShape _shape;
    private readonly NcclEpLayerBuffers _buffers;
    private readonly NcclEpDescriptors _descriptors = new();
    private readonly NcclEpGroupHandle _group;
    private readonly NcclEpHandle _handle;
    private readonly NcclEpCallPreconditions _calls;
    private readonly NcclRoutingGather _routing;
    private readonly Func<long, StagedRoutingError> _describeRoutingError;
    private readonly StagedLocalReorder _local;
    private readonly ResultViews _views;
    private readonly LowLatencyGroupPadding? _padding;

    // LowLatency: eager Dispatch uploads the layout tables and clears the vacated group rows on this branch, beside
    // ncclEpDispatch, which writes only the rows before each group's count and reads neither table. Before it (where
    // run 14 had moved them from after it) they held the stream 9.4–13.4 µs while the host issued them; beside it NCCL
    // EP's dispatch takes about 4.5 µs longer, a net 3 µs less per eager Dispatch on an H100 (bench/RESULTS.md run 16).
    // Null for HighThroughput, whose layout follows NCCL EP's dispatch, which has waited on the host for its counts.
    private readonly CudaStreamBranch? _layoutBranch;
    private readonly IntPtr _communicator;
    private readonly EpDevice _epDevice;

    // What every Dispatch learns from the routing, refilled in place (a Dispatch allocates nothing): every rank's
    // summary and the plan over them, read only inside Dispatch; the results, two in turn.
    private readonly StagedRouteSummary[] _summaries;
    private readonly StagedRoutePlan _routePlan;
    private readonly NcclEpResultSlots _results;
    private EpDispatchGradients? _dispatchGradients;

    // The benchmark's managed-code split of Dispatch; records nothing unless its clock is on.
    private readonly NcclEpDispatchSegments _segments = new();

    // The latest Dispatch whose tensor checks passed (RequireDispatchCall); default (no tokens at all) until one does.
    private DispatchCallShape _passedDispatchCall;

    // The current step (set by a Dispatch that passed every check).
    private bool _idle;
    private int _tokens;

    // HighThroughput: the token count of the routing eager Dispatch last updated the handle with, from the current eager
    // copy of the ids (Sources.Idx, unchanged since); null when the handle holds none, or not that copy.
    private int? _heldRoutingTokens;

    // HighThroughput: whether NCCL EP has run a dispatch and a combine of this layer outside any capture (see
    // RunOnceOutsideCapture); the same on every rank, since every rank runs the same exchanges.
    private bool _exchangedOutsideCapture;

    // HighThroughput: the same for NCCL EP's backward-direction dispatch and combine (a captured training step's); set
    // by an eager DispatchBackward, the second of the two.
    private bool _backwardExchangedOutsideCapture;

    /// <summary>Collective: creates the layer's NCCL EP group (blocking, on every rank) and its handle.</summary>
    public NcclEpLayer(EpLayerSpec spec, NcclEpGroupSettings settings, IntPtr communicator, int rank, int ranks, CudaDevice device, CudaStreamHandle stream,
        StagedKernels kernels, EpDevice epDevice, Func<int, int, SymmetricTensor<BFloat16>>? symmetric)
    {
        _spec = spec;
        _rank = rank;
        _communicator = communicator;
        _epDevice = epDevice;
        _device = device;
        _stream = stream;
        _kernels = kernels;
        _shape = NcclEpLayerShape.Of(settings);
        _calls = new NcclEpCallPreconditions(settings);
        _describeRoutingError = DescribeRoutingError;
        _summaries = new StagedRouteSummary[ranks];
        for (int r = 0; r < ranks; r++)
        {
            _summaries[r] = StagedRouteSummary.Empty(ranks, spec.Experts);
        }

        _routePlan = new StagedRoutePlan(spec, _summaries);
        _results = new NcclEpResultSlots(_shape.LocalExperts);
        _buffers = new NcclEpLayerBuffers(spec, _shape, epDevice, spec.ZeroCopy ? symmetric : null);
        NcclEpLayerBuffers b = _buffers;

        // NCCL EP delivers expert-major rows with one weight each, so its received weights are also the rows' weights.
        _views = new ResultViews(b);
        try
        {
            _padding = _shape.LowLatency
                ? new LowLatencyGroupPadding(b.FilledRows, b.ExpertOffsets, b.ExpertCounts, _shape.LowLatencyGroupRows, kernels, stream)
                : null;
            _local = new StagedLocalReorder(spec, kernels, stream, new StagedReorderBuffers(b.RecvRows, b.RecvIdx, b.RankInExpert, b.RankTileCounts, b.Layout,
                b.PermutedRow, b.RecvWeights, b.RowSource, b.RecvWeights, b.Permuted, b.Unpermuted, b.GradExpertOutput, b.GradWeights,
                b.GradReceived), _padding, static () => PoisonOutputs);
            _routing = new NcclRoutingGather(epDevice, rank, ranks, spec.Experts, stream, () => communicator, markFailed: null, startsAhead: true);
            _layoutBranch = _shape.LowLatency ? new CudaStreamBranch(stream) : null;
            _group = NcclEpGroupHandle.Create(communicator, settings.ToGroupConfig());
            NcclEpHandleConfig handleConfig = settings.ToHandleConfig();
            NcclException.ThrowIfFailed(NcclEpNative.InitHandle(out IntPtr handle, _group.Value, NativeLayout, &handleConfig, spec.TopK, null));
            _handle = NcclEpHandle.FromRaw(handle);
        }
        catch
        {
            _group?.Dispose();
            _layoutBranch?.Dispose();
            _routing?.Dispose();
            _buffers.Dispose();
            _descriptors.Dispose();
            throw;
        }
    }

    public EpEngineKind Kind => EpEngineKind.NcclEp;

    public IntPtr DeviceStream => Stream;

    /// <summary>Test hook: fill every output buffer with a NaN pattern before an operation writes it, so a row left unwritten shows.</summary>
    internal static bool PoisonOutputs { get; set; }

    private int Ranks => _shape.Ranks;

    private int Hidden => _spec.HiddenSize;

    private int TopK => _spec.TopK;

    private NcclEpLayout NativeLayout => _shape.ExpertMajor ? NcclEpLayout.ExpertMajor : NcclEpLayout.Flat;

    private IntPtr Stream => _stream.DangerousGetHandle();

    private static ulong Address<T>(DeviceTensor<T>? tensor)
        where T : unmanaged => StagedMemory.Address(tensor);

    /// <summary>
    /// A device address NCCL EP accepts for a tensor with no rows: an empty caller tensor has no memory (address 0),
    /// which NCCL EP's copies reject, so one of the layer's own buffers stands in (nothing is read from it).
    /// </summary>
    private ulong NonNull<T>(DeviceTensor<T> tensor)
        where T : unmanaged
    {
        ulong address = Address(tensor);
        return address != 0 ? address : Address(_buffers.CombineOutput);
    }

    /// <summary>Zero-fills <paramref name="buffer"/>: the result of an idle step, where NCCL EP is not called.</summary>
    private void Clear<T>(DeviceTensor<T> buffer)
        where T : unmanaged
    {
        StagedMemory.Fill(Address(buffer), 0u, buffer.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() / 4, _stream);
    }

    private void Poison<T>(DeviceTensor<T> buffer)
        where T : unmanaged => _local.Poison(buffer);

    /// <summary>Poisons the dispatch output; a poisoned LowLatency group has no zero rows left, so all must be cleared.</summary>
    private void PoisonReceivedRows() => _padding?.Overwritten(LowLatencyGroupBuffer.Received, _local.Poison(_buffers.RecvRows));

    /// <summary>How <paramref name="buffer"/> goes to NCCL EP (by window or by address), for the call preconditions.</summary>
    private NcclEpTensorInfo SlotsInfo(DeviceTensor<BFloat16> buffer, string name) =>
        NcclEpTensorInfo.Of(buffer, name, asWindow: buffer is SymmetricTensor<BFloat16> && EpZeroCopy.UsesWindows(_spec));


    /// <summary>
    /// Describes one of the layer's slot buffers for NCCL EP: by its window when the layer is zero-copy and no
    /// <see cref="EpZeroCopy.Suspend"/> scope is open (peers then read or write it in place), else by address.
    /// </summary>
    private NcclEpTensor* DescribeSlots(NcclEpTensorBlock block, DeviceTensor<BFloat16> buffer)
    {
        ReadOnlySpan<long> sizes = _shape.LowLatency
            ? [_shape.LocalExperts, _shape.LowLatencyGroupRows, Hidden]
            : [_shape.ReceiveSlots, Hidden];
        return buffer is SymmetricTensor<BFloat16> symmetric && EpZeroCopy.UsesWindows(_spec)
            ? block.DescribeWindow(symmetric.Window.NativeHandle, (ulong)symmetric.WindowOffsetBytes, sizes)
            : block.Describe(Address(buffer), sizes);
    }

    /// <summary>
    /// <paramref name="rows"/> as NCCL EP's input with the slot count it was configured for: the layer's own buffer is
    /// passed as it is; anything else is first copied into it (its rows beyond the real ones are never read).
    /// </summary>
    private ulong InSlots(DeviceTensor<BFloat16> rows, DeviceTensor<BFloat16> slots)
    {
        StageInto(rows, slots);
        return Address(slots);
    }

    /// <summary>Copies <paramref name="rows"/> to the start of <paramref name="slots"/> unless they already are its start; returns whether it copied.</summary>
    private bool StageInto(DeviceTensor<BFloat16> rows, DeviceTensor<BFloat16> slots)
    {
        ulong address = Address(rows);
        if (address == Address(slots) || rows.Length == 0)
        {
            return false;
        }

        StagedMemory.Copy(Address(slots), address, rows.Length * 2, _stream);
        return true;
    }

    public void Dispose()
    {
        _device.MakeCurrent();
        _stream.Synchronize();
        _handle.Dispose();
        _group.Dispose();
        _routing.Dispose();
        _layoutBranch?.Dispose();
        _buffers.Dispose();
        _descriptors.Dispose();
    }

    /// <summary>Row views of the buffers the transfers' results are read from, reused while their row counts repeat.</summary>
    private sealed class ResultViews(NcclEpLayerBuffers b)
    {
        public StagedRowViews<BFloat16> RecvRows { get; } = new(b.RecvRows);
        public StagedRowViews<long> RecvIdx { get; } = new(b.RecvIdx);
        public StagedRowViews<float> RecvWeights { get; } = new(b.RecvWeights);
        public StagedRowViews<BFloat16> CombineOutput { get; } = new(b.CombineOutput);
        public StagedRowViews<BFloat16> GradFlat { get; } = new(b.GradFlat);
        public StagedRowViews<BFloat16> GradTokens { get; } = new(b.GradTokens);
        public StagedRowViews<float> GradTopkWeights { get; } = new(b.GradTopkWeights);
    }
}
