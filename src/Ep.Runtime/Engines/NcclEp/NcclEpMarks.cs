using System;
using Ep.Interop.Cuda;

namespace Ep.Engines.NcclEp;

/// <summary>
/// Timing events a benchmark hands to an NcclEp layer, which records one at each boundary of an operation's parts, so
/// the device time of each part can be read once the stream has passed them. Two uses, null in normal use:
/// <see cref="NcclEpLayer.DeviceMarks"/> — an eager Dispatch records them on its stream (<see cref="DispatchBoundaries"/>:
/// entry, after the routing agreement, after ncclEpUpdateHandle, after ncclEpDispatch, after the layout — LowLatency's
/// runs beside ncclEpDispatch, so its last part is only what outlasts it), the device
/// twin of <see cref="NcclEpDispatchPhases"/>; and <see cref="NcclEpLayer.CaptureMarks"/> — a captured step records
/// them as nodes of its graph, so every replay records them (<see cref="StepBoundaries"/>: entry, after the routing
/// check, after ncclEpUpdateHandle, after ncclEpDispatch, after the layout upkeep, after ncclEpCombine).
/// </summary>
/// <remarks>
/// Every event a graph records is a node of its own, which the GPU schedules like a kernel's: on an H100 each one
/// between two parts added about a microsecond to the span it sits in. So a benchmark times a part's span in a graph
/// that records only the boundaries it reads (<see cref="Only"/>), and the finer split in another.
/// </remarks>
internal sealed class NcclEpMarks : IDisposable
{
    /// <summary>The boundaries of an eager Dispatch's parts.</summary>
    public const int DispatchBoundaries = 5;

    /// <summary>The boundaries of a captured step's parts.</summary>
    public const int StepBoundaries = 6;

    /// <summary>In a captured step: the boundary before the experts' work, where its Dispatch-like part ends.</summary>
    public const int BeforeExperts = 4;

    /// <summary>Null at the boundaries this instance does not record.</summary>
    private readonly CudaEventHandle?[] _events;

    /// <summary>Creates <paramref name="count"/> timing events (the calling thread's context must be the layer's).</summary>
    public NcclEpMarks(int count)
        : this(count, static _ => true)
    {
    }

    private NcclEpMarks(int count, Func<int, bool> recorded)
    {
        _events = new CudaEventHandle?[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                _events[i] = recorded(i) ? CudaEventHandle.Create(timing: true) : null;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// <paramref name="count"/> boundaries of which only <paramref name="recorded"/> are recorded: the others add no node
    /// to a graph (and cannot be read).
    /// </summary>
    public static NcclEpMarks Only(int count, params int[] recorded)
    {
        foreach (int index in recorded)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index, nameof(recorded));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count, nameof(recorded));
        }

        return new NcclEpMarks(count, i => Array.IndexOf(recorded, i) >= 0);
    }

    /// <summary>The number of boundaries.</summary>
    public int Count => _events.Length;

    /// <summary>Enqueues boundary <paramref name="index"/> on <paramref name="stream"/>.</summary>
    public void Record(int index, CudaStreamHandle stream) => _events[index]?.Record(stream);

    /// <summary>Records boundary <paramref name="index"/> into the graph being captured on <paramref name="stream"/>.</summary>
    public void RecordInCapture(int index, CudaStreamHandle stream) => _events[index]?.RecordInCapture(stream);

    /// <summary>Microseconds from boundary <paramref name="from"/> to <paramref name="to"/>; both must be recorded and have completed.</summary>
    public double Microseconds(int from, int to) => Recorded(to).ElapsedSince(Recorded(from)) * 1000.0;

    private CudaEventHandle Recorded(int index) =>
        _events[index] ?? throw new InvalidOperationException($"Boundary {index} is not recorded by these marks (see NcclEpMarks.Only).");

    public void Dispose()
    {
        foreach (CudaEventHandle? e in _events)
        {
            e?.Dispose();
        }
    }
}
