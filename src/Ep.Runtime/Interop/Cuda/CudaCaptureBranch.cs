using System;

namespace Ep.Interop.Cuda;

/// <summary>
/// A parallel branch of a graph being captured: work enqueued on <see cref="Stream"/> after <see cref="Fork"/> depends
/// only on what the main stream had enqueued by then, and runs beside the main stream's later work until
/// <see cref="Join"/> makes the main stream's next work wait for it (the usual event fork and join of stream capture:
/// the events only order the capture, they add no node). Every fork must be joined before the capture ends; dispose the
/// branch after the capture (the graph keeps none of its handles). The calling thread's context must be the stream's.
/// </summary>
internal sealed class CudaCaptureBranch : IDisposable
{
    private readonly CudaStreamHandle _main;
    private readonly CudaEventHandle _forked = CudaEventHandle.Create(timing: false);
    private readonly CudaEventHandle _done = CudaEventHandle.Create(timing: false);

    /// <param name="main">The stream being captured.</param>
    public CudaCaptureBranch(CudaStreamHandle main)
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
        CudaException.ThrowIfFailed(CudaDriver.StreamWaitEvent(Stream.DangerousGetHandle(), _forked.DangerousGetHandle(), 0));
    }

    /// <summary>Makes the main stream's next work wait for everything enqueued on the branch.</summary>
    public void Join()
    {
        _done.Record(Stream);
        CudaException.ThrowIfFailed(CudaDriver.StreamWaitEvent(_main.DangerousGetHandle(), _done.DangerousGetHandle(), 0));
    }

    public void Dispose()
    {
        Stream.Dispose();
        _forked.Dispose();
        _done.Dispose();
    }
}
