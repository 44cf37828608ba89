using System;
using Ep.Interop.Cuda;

namespace Ep.Bench.Timing;

/// <summary>
/// A row of timing events recorded on a stream that is not ours (a layer's): event i marks the boundary before
/// operation i, the last one the end of the step. Created once per rank, reused every step.
/// </summary>
internal sealed class StreamEvents : IDisposable
{
    private readonly CudaEventHandle[] _events;
    private readonly IntPtr _stream;

    /// <summary>Creates <paramref name="count"/> timing events for <paramref name="stream"/> (the calling thread's context must be current).</summary>
    public StreamEvents(IntPtr stream, int count)
    {
        if (stream == IntPtr.Zero)
        {
            throw new ArgumentException("The layer has no CUDA stream (CPU Reference engine): there is nothing to record events on.", nameof(stream));
        }

        _stream = stream;
        _events = new CudaEventHandle[count];
        for (int i = 0; i < count; i++)
        {
            _events[i] = CudaEventHandle.Create(timing: true);
        }
    }

    /// <summary>Enqueues event <paramref name="index"/> on the stream; returns at once.</summary>
    public void Record(int index) =>
        CudaException.ThrowIfFailed(CudaDriver.EventRecord(_events[index].DangerousGetHandle(), _stream));

    /// <summary>Waits on the host until the stream has passed event <paramref name="index"/>.</summary>
    public void Wait(int index) => _events[index].Synchronize();

    /// <summary>Microseconds between events <paramref name="from"/> and <paramref name="to"/> (both completed).</summary>
    public double Microseconds(int from, int to) => _events[to].ElapsedSince(_events[from]) * 1000.0;

    /// <summary>Waits until everything issued on the stream so far has finished.</summary>
    public void SynchronizeStream() => CudaException.ThrowIfFailed(CudaDriver.StreamSynchronize(_stream));

    /// <summary>Destroys the events.</summary>
    public void Dispose()
    {
        foreach (CudaEventHandle e in _events)
        {
            e.Dispose();
        }
    }
}
