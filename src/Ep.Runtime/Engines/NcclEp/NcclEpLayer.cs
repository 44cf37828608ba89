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
internal sealed unsafe partial class NcclEpLayer : IEpLayerEngine
{
    private readonly EpLayerSpec _spec;
    private readonly IntPtr _communicator;
    private readonly int _rank;
    private readonly CudaDevice _device;
    private readonly CudaStreamHandle _stream;
    private readonly StagedKernels _kernels;
    private readonly NcclEpLayerShape _shape;
    private readonly NcclEpLayerBuffers _buffers;
    private readonly NcclEpDescriptors _descriptors = new();
    private readonly NcclEpGroupHandle _group;
    private readonly NcclEpHandle _handle;

    // The current step (set by a Dispatch that passed every check).
    private StagedRoutePlan? _plan;
    private bool _idle;
    private int _tokens;
    private int _receivedRows;
    private int _layoutRows;
    private int[] _expertCounts = [];
    private int[] _expertOffsets = [];

    /// <summary>Collective: creates the layer's NCCL EP group (blocking, on every rank) and its handle.</summary>
    public NcclEpLayer(EpLayerSpec spec, NcclEpGroupSettings settings, IntPtr communicator, int rank, int ranks, CudaDevice device, CudaStreamHandle stream,
        StagedKernels kernels, EpDevice epDevice)
    {
        _spec = spec;
        _communicator = communicator;
        _rank = rank;
        _device = device;
        _stream = stream;
        _kernels = kernels;
        _shape = NcclEpLayerShape.Of(spec, ranks);
        _buffers = new NcclEpLayerBuffers(spec, _shape, epDevice);
        try
        {
            _group = NcclEpGroupHandle.Create(communicator, settings.ToGroupConfig());
            NcclEpHandleConfig handleConfig = settings.ToHandleConfig();
            NcclException.ThrowIfFailed(NcclEpNative.InitHandle(out IntPtr handle, _group.Value, NativeLayout, &handleConfig, spec.TopK, null));
            _handle = NcclEpHandle.FromRaw(handle);
        }
        catch
        {
            _group?.Dispose();
            _buffers.Dispose();
            _descriptors.Dispose();
            throw;
        }
    }

    /// <summary>Test hook: fill every output buffer with a NaN pattern before an operation writes it, so a row left unwritten shows.</summary>
    internal static bool PoisonOutputs { get; set; }

    private int Ranks => _shape.Ranks;

    private int Hidden => _spec.HiddenSize;

    private int TopK => _spec.TopK;

    private NcclEpLayout NativeLayout => _shape.ExpertMajor ? NcclEpLayout.ExpertMajor : NcclEpLayout.Flat;

    private IntPtr Stream => _stream.DangerousGetHandle();

    private StagedRoutePlan Plan => _plan ?? throw new InvalidOperationException("No Dispatch has completed on this layer.");

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
        where T : unmanaged
    {
        if (PoisonOutputs)
        {
            StagedMemory.Fill(Address(buffer), 0xFFFFFFFFu, buffer.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() / 4, _stream);
        }
    }

    /// <summary>
    /// <paramref name="rows"/> as NCCL EP's input with the slot count it was configured for: the layer's own buffer is
    /// passed as it is; anything else is first copied into it (its rows beyond the real ones are never read).
    /// </summary>
    private ulong InSlots(DeviceTensor<BFloat16> rows, DeviceTensor<BFloat16> slots)
    {
        ulong address = Address(rows);
        if (address != Address(slots))
        {
            StagedMemory.Copy(Address(slots), address, rows.Length * 2, _stream);
        }

        return Address(slots);
    }

    public void Dispose()
    {
        _device.MakeCurrent();
        _stream.Synchronize();
        _handle.Dispose();
        _group.Dispose();
        _buffers.Dispose();
        _descriptors.Dispose();
    }
}
