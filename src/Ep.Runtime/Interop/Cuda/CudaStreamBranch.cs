using System;

namespace Ep.Interop.Cuda;

/// <summary>
/// A parallel branch of a stream's work, eager or captured: work enqueued on <see cref="Stream"/> after
/// <see cref="Fork"/> depends only on what the main stream had enqueued by then, and runs beside the main stream's later
/// work until <see cref="Join"/> makes the main stream's next work wait for it. Eagerly the two events order the streams
/// on the device (the host never waits); in a capture they are the usual event fork and join, which only order the
/// capture and add no node: every fork must then be joined before the capture ends, and the branch may be disposed
/// after it (the graph keeps none of its handles). The calling thread's context must be the stream's.
/// </summary>
internal sealed class CudaStreamBranch : IDisposable
{
    private readonly CudaStreamHandle _main;
    private readonly CudaEventHandle _forked = CudaEventHandle.Create(timing: false);
    private readonly CudaEventHandle _done = CudaEventHandle.Create(timing: false);

    /// <param name="main">The stream the branch leaves and rejoins.</param>
    public CudaStreamBranch(CudaStreamHandle main)
    {
        _main = main;
        Stream = CudaStreamHandle.Create();
    }

    /// <summary>The branch's stream: enqueue its work here between <see cref="Fork"/> and <see cref="Join"/>.</summary>
    public CudaStreamHandle Stream { get; }

    /// <summary>Starts the branch at the main stream's current point.</summary>
    public void Fork()
    {
        _forked.Record(_main);
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        CudaException.ThrowIfFailed(CudaDriver.StreamWaitEvent(Stream.DangerousGetHandle(), _forked.DangerousGetHandle(), 0));
    }

    /// <summary>Makes the main stream's next work wait for everything enqueued on the branch.</summary>
    public void Join()
    {
        _done.Record(Stream);
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        CudaException.ThrowIfFailed(CudaDriver.StreamWaitEvent(_main.DangerousGetHandle(), _done.DangerousGetHandle(), 0));
    }

    public void Dispose()
    {
        Stream.Dispose();
        _forked.Dispose();
        _done.Dispose();
    }
}
