using System;

namespace Ep.Interop.Cuda;

/// <summary>
/// An IF node recorded inside a stream capture: work that a replay runs only when a kernel earlier in the same graph
/// set the node's handle non-zero (<c>cudaGraphSetConditional</c>). The body is captured from a stream of its own into
/// the node's body graph, and the capturing stream goes on after the node. A body may hold kernels, memsets, memcpys,
/// child graphs and conditionals only (cuda.h), which is why <see cref="TryInstantiate"/> exists: it tells whether a
/// library's calls qualify before a real capture depends on it.
/// </summary>
internal static unsafe class CudaConditionalCapture
{
    // CU_GRAPH_COND_ASSIGN_DEFAULT: every launch starts from the default value.
    private const uint AssignDefault = 1;

    // CU_STREAM_SET_CAPTURE_DEPENDENCIES.
    private const uint SetDependencies = 1;

    /// <summary>
    /// A handle for an IF node of the graph being captured on <paramref name="stream"/>. Every launch resets it to 1
    /// (run the body), so a replay whose setting kernel did not run still does the work rather than skip it.
    /// </summary>
    public static ulong CreateHandle(CudaStreamHandle stream, IntPtr context)
    {
        IntPtr graph = CapturingGraph(stream.DangerousGetHandle(), out _, out _, out _);
        CudaException.ThrowIfFailed(CudaDriver.GraphConditionalHandleCreate(out ulong handle, graph, context, 1, AssignDefault));
        return handle;
    }

    /// <summary>
    /// Records an IF node on <paramref name="handle"/> after everything captured on <paramref name="stream"/> so far;
    /// <paramref name="body"/> issues the node's work on the stream it is given.
    /// </summary>
    public static void RecordIf(CudaStreamHandle stream, ulong handle, IntPtr context, Action<IntPtr> body)
    {
        IntPtr s = stream.DangerousGetHandle();
        IntPtr graph = CapturingGraph(s, out IntPtr* dependencies, out void* edges, out nuint count);
        IntPtr node = AddIf(graph, handle, context, dependencies, edges, count, out IntPtr bodyGraph);
        CaptureInto(bodyGraph, body);
        CudaException.ThrowIfFailed(CudaDriver.StreamUpdateCaptureDependencies(s, &node, null, 1, SetDependencies));
    }

    /// <summary>
    /// Captures <paramref name="body"/> as the body of an IF node in a graph of its own and instantiates that graph
    /// (nothing runs); throws the driver's refusal when the body holds work a conditional node cannot.
    /// </summary>
    public static void TryInstantiate(IntPtr context, Action<IntPtr> body)
    {
        CudaException.ThrowIfFailed(CudaDriver.GraphCreate(out IntPtr graph, 0));
        try
        {
            CudaException.ThrowIfFailed(CudaDriver.GraphConditionalHandleCreate(out ulong handle, graph, context, 1, AssignDefault));
            AddIf(graph, handle, context, null, null, 0, out IntPtr bodyGraph);
            CaptureInto(bodyGraph, body);
            CudaException.ThrowIfFailed(CudaDriver.GraphInstantiateWithFlags(out IntPtr exec, graph, 0));
            CudaDriver.GraphExecDestroy(exec);
        }
        finally
        {
            // Destroys the node's body graph with it.
            CudaDriver.GraphDestroy(graph);
        }
    }

    private static IntPtr CapturingGraph(IntPtr stream, out IntPtr* dependencies, out void* edges, out nuint count)
    {
        CudaException.ThrowIfFailed(CudaDriver.StreamGetCaptureInfo(stream, out CudaStreamCaptureStatus status, out _, out IntPtr graph,
            out dependencies, out edges, out count));
        return status == CudaStreamCaptureStatus.Active
            ? graph
            : throw new InvalidOperationException($"A conditional node needs an active stream capture; the stream's capture status is {status}.");
    }

    private static IntPtr AddIf(IntPtr graph, ulong handle, IntPtr context, IntPtr* dependencies, void* edges, nuint count, out IntPtr body)
    {
        var parameters = new CudaGraphNodeParams
        {
            Type = CudaGraphNodeParams.ConditionalNode,
            ConditionalHandle = handle,
            ConditionalType = CudaGraphNodeParams.If,
            BodyCount = 1,
            Context = context,
        };
        CudaException.ThrowIfFailed(CudaDriver.GraphAddNode(out IntPtr node, graph, dependencies, edges, count, &parameters));
        body = parameters.Bodies[0];
        return node;
    }

    /// <summary>Records what <paramref name="body"/> issues on a stream of its own into <paramref name="bodyGraph"/> (owned by its node).</summary>
    private static void CaptureInto(IntPtr bodyGraph, Action<IntPtr> body)
    {
        using CudaStreamHandle side = CudaStreamHandle.Create();
        IntPtr s = side.DangerousGetHandle();
        CudaException.ThrowIfFailed(CudaDriver.StreamBeginCaptureToGraph(s, bodyGraph, null, null, 0, CudaStreamCaptureMode.Relaxed));
        try
        {
            body(s);
        }
        catch
        {
            CudaDriver.StreamEndCapture(s, out _);
            throw;
        }

        CudaException.ThrowIfFailed(CudaDriver.StreamEndCapture(s, out _));
    }
}
