using System;
using Ep.Interop.Cuda;

namespace Ep.Engines.NcclEp;

/// <summary>
/// Timing events a benchmark can hand to <see cref="NcclEpLayer.CaptureMarks"/> before capturing a step: the graph
/// then records each as a node at the boundaries of its parts (entry; after the routing check and its gather; after
/// ncclEpUpdateHandle; after ncclEpDispatch; after the layout upkeep; after ncclEpCombine), so every replay's parts can
/// be read — the captured twin of <see cref="NcclEpDispatchMarks"/>. Null in normal use: the graph records nothing.
/// </summary>
internal sealed class NcclEpStepMarks : IDisposable
{
    /// <summary>The boundaries, in order.</summary>
    public const int Count = 6;

    /// <summary>The boundary before the experts' work: the Dispatch-like part of the step ends here.</summary>
    public const int BeforeExperts = 4;

    private readonly CudaEventHandle[] _events = new CudaEventHandle[Count];

    /// <summary>Creates the events (the calling thread's context must be the layer's).</summary>
    public NcclEpStepMarks()
    {
        for (int i = 0; i < Count; i++)
        {
            _events[i] = CudaEventHandle.Create(timing: true);
        }
    }

    /// <summary>Records boundary <paramref name="index"/> into the graph being captured on <paramref name="stream"/>.</summary>
    public void Record(int index, CudaStreamHandle stream) => _events[index].RecordInCapture(stream);

    /// <summary>Microseconds from boundary <paramref name="from"/> to <paramref name="to"/> in the latest replay (which must have completed).</summary>
    public double Microseconds(int from, int to) => _events[to].ElapsedSince(_events[from]) * 1000.0;

    public void Dispose()
    {
        foreach (CudaEventHandle e in _events)
        {
            e.Dispose();
        }
    }
}
