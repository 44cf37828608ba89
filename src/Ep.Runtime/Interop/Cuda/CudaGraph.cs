using System;
using Microsoft.Win32.SafeHandles;

namespace Ep.Interop.Cuda;

/// <summary>
/// An owned, instantiated CUDA graph (<c>CUgraphExec</c>): work recorded once from a stream by <see cref="Capture"/>,
/// replayed by one <see cref="Launch"/>. The recorded kernels keep the argument values and device addresses they had
/// when captured.
/// </summary>
internal sealed class CudaGraph : SafeHandleZeroOrMinusOneIsInvalid
{
    public CudaGraph()
        : base(ownsHandle: true)
    {
    }

    /// <summary>
    /// Records what <paramref name="record"/> issues on <paramref name="stream"/> (nothing runs) and instantiates it.
    /// If <paramref name="record"/> or the capture fails, the capture is ended and discarded before the exception
    /// leaves, so the stream is usable again.
    /// </summary>
    public static CudaGraph Capture(CudaStreamHandle stream, Action record)
    {
        IntPtr s = stream.DangerousGetHandle();
        CudaException.ThrowIfFailed(CudaDriver.StreamBeginCapture(s, CudaStreamCaptureMode.Relaxed));
        IntPtr graph;
        try
        {
            record();
        }
        catch
        {
            // Ends the capture whatever its state; the partial graph (if any) is dropped.
            if (CudaDriver.StreamEndCapture(s, out IntPtr partial) == CudaResult.Success && partial != IntPtr.Zero)
            {
                CudaDriver.GraphDestroy(partial);
            }

            throw;
        }

        CudaException.ThrowIfFailed(CudaDriver.StreamEndCapture(s, out graph));
        try
        {
            CudaException.ThrowIfFailed(CudaDriver.GraphInstantiateWithFlags(out IntPtr exec, graph, 0));
            var handle = new CudaGraph();
            handle.SetHandle(exec);
            return handle;
        }
        finally
        {
            // The instantiated graph keeps what it needs.
            CudaDriver.GraphDestroy(graph);
        }
    }

    /// <summary>Whether <paramref name="stream"/> is being captured and the capture is still intact.</summary>
    public static bool IsCapturing(CudaStreamHandle stream) =>
        CudaDriver.StreamIsCapturing(stream.DangerousGetHandle(), out CudaStreamCaptureStatus status) == CudaResult.Success
        && status == CudaStreamCaptureStatus.Active;

    /// <summary>Enqueues one replay on <paramref name="stream"/>.</summary>
    public void Launch(CudaStreamHandle stream) => CudaException.ThrowIfFailed(CudaDriver.GraphLaunch(handle, stream.DangerousGetHandle()));

    protected override bool ReleaseHandle() => CudaDriver.GraphExecDestroy(handle) == CudaResult.Success;
}
