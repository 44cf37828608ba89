using System;
using Ep.Interop.Cuda;

namespace Ep.Engines.NcclEp;

/// <summary>
/// Timing events a benchmark can hand to <see cref="NcclEpLayer.DeviceMarks"/>: Dispatch then records one on its stream
/// at each boundary of its parts (entry, routing agreement, ncclEpUpdateHandle, ncclEpDispatch, layout), so the device
/// time of each part can be read once the stream has passed them — the device-side twin of
/// <see cref="NcclEpDispatchPhases"/>. Null in normal use: Dispatch then records nothing.
/// </summary>
internal sealed class NcclEpDispatchMarks : IDisposable
{
    /// <summary>Entry, after the routing agreement, after ncclEpUpdateHandle, after ncclEpDispatch, after the layout.</summary>
    public const int Count = 5;

    private readonly CudaEventHandle[] _events = new CudaEventHandle[Count];

    /// <summary>Creates the events (the calling thread's context must be the layer's).</summary>
    public NcclEpDispatchMarks()
    {
        for (int i = 0; i < Count; i++)
        {
            _events[i] = CudaEventHandle.Create(timing: true);
        }
    }

    /// <summary>Enqueues boundary <paramref name="index"/> on <paramref name="stream"/>.</summary>
    public void Record(int index, CudaStreamHandle stream) => _events[index].Record(stream);

    /// <summary>Microseconds of part <paramref name="part"/> (0: routing agreement … 3: layout); both boundaries must have completed.</summary>
    public double PartMicroseconds(int part) => _events[part + 1].ElapsedSince(_events[part]) * 1000.0;

    public void Dispose()
    {
        foreach (CudaEventHandle e in _events)
        {
            e.Dispose();
        }
    }
}
