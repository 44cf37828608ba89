using System;
using System.IO;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;
using Ep.Kernels;

namespace Ep.Engines.NcclEp;

/// <summary>
/// <c>ep_decide_handle_update</c> (native/runtime/ep_handle_update.cu): a module of its own, apart from every layer's
/// source, so that a toolkit unable to compile the conditional node's setter costs only the captured steps' kept
/// handle, never a layer's kernels.
/// </summary>
internal sealed class NcclEpHandleKernel
{
    private const string ResourceName = "Ep.RuntimeKernels.ep_handle_update.cu";

    private readonly IntPtr _function;

    private NcclEpHandleKernel(IntPtr function) => _function = function;

    /// <summary>
    /// The kernel for <paramref name="device"/>: compiled (or read from the disk cache) once per process, as a layer's
    /// kernels are (<see cref="StagedKernels.Load"/>); throws what NVRTC or the driver reported.
    /// </summary>
    public static NcclEpHandleKernel Load(CudaDevice device) =>
        new(StagedKernels.Load(Source(), "ep_handle_update", device).Function("ep_decide_handle_update"));

    /// <summary>
    /// Sets <paramref name="conditional"/> (an IF node's handle in the graph being captured on <paramref name="stream"/>)
    /// from the <paramref name="recordCount"/> gathered sanitize records at <paramref name="records"/>, and records in
    /// <paramref name="state"/> that the handle holds <paramref name="rows"/> rows of the layer's ids (state[1] counts
    /// the rebuilds).
    /// </summary>
    public void Decide(CudaStreamHandle stream, ulong records, int recordCount, ulong state, int rows, ulong conditional) =>
        KernelLaunch.Run(_function, (1, 1), 256, 0, stream, [(long)records, recordCount, (long)state, rows, (long)conditional]);

    private static string Source()
    {
        using Stream stream = typeof(NcclEpHandleKernel).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The runtime assembly lacks its embedded kernel source {ResourceName}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
