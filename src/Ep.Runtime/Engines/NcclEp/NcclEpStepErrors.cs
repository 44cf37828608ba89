using System;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;

namespace Ep.Engines.NcclEp;

/// <summary>
/// A captured step's routing errors: this rank's record from <c>ep_sanitize_routing</c> (key, id, first slot, 0),
/// gathered from every rank inside the step, and read back once the replay has run, so every rank throws the same error.
/// </summary>
internal sealed class NcclEpStepErrors : IDisposable
{
    private const int Words = 4;
    private const string AfterTheStep =
        " Found by the captured step's check on the device: that replay ran without the entry (NCCL EP never saw it), so its combined rows lack it.";

    private readonly int _ranks;
    private readonly int _experts;
    private readonly int _topK;
    private readonly CudaStreamHandle _stream;
    private readonly DeviceTensor<long> _record;
    private readonly DeviceTensor<long> _gathered;
    private readonly PinnedHostBuffer<long> _readBack;

    public NcclEpStepErrors(EpDevice device, int ranks, int experts, int topK, CudaStreamHandle stream)
    {
        _ranks = ranks;
        _experts = experts;
        _topK = topK;
        _stream = stream;
        _record = DeviceTensor<long>.Allocate(device, Words);
        try
        {
            _gathered = DeviceTensor<long>.Allocate(device, ranks * Words);
            _readBack = new PinnedHostBuffer<long>(ranks * Words);
        }
        catch
        {
            _record.Dispose();
            _gathered?.Dispose();
            throw;
        }
    }

    /// <summary>Device address of this rank's record, written by the sanitizing kernel.</summary>
    public ulong Record => StagedMemory.Address(_record);

    /// <summary>Enqueues the AllGather of every rank's record (capturable: no host wait).</summary>
    public void EnqueueGather(IntPtr communicator) =>
        NcclException.ThrowIfFailed(Nccl.AllGather(Record, StagedMemory.Address(_gathered), Words, NcclDataType.Int64, communicator,
            _stream.DangerousGetHandle()));

    /// <summary>Waits for the step and throws the lowest rank's error, if any rank had one.</summary>
    public void ThrowIfAny()
    {
        ReadOnlySpan<long> records = _readBack.Download(StagedMemory.Address(_gathered), _ranks * Words, _stream);
        for (int rank = 0; rank < _ranks; rank++)
        {
            ReadOnlySpan<long> record = records.Slice(rank * Words, Words);
            if (record[0] != StagedRouteRecord.NoError)
            {
                (int token, int slot, _) = StagedRouteRecord.Decode(record[0], _topK);
                throw new StagedRoutingError(token, slot, record[1], (int)record[2]).ToException(rank, _experts, AfterTheStep);
            }
        }
    }

    public void Dispose()
    {
        _record.Dispose();
        _gathered.Dispose();
        _readBack.Dispose();
    }
}
