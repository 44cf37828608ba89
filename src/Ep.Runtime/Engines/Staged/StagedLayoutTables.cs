using System;
using Ep.Interop.Cuda;

namespace Ep.Engines.Staged;

/// <summary>
/// The received layout's two per-expert tables on the device — first row and real row count of each local expert —
/// in one [2, L] allocation, uploaded together from one page-locked staging array: one DMA per Dispatch instead of two
/// copies the driver stages from pageable memory (the layout phase was most of NcclEp's own Dispatch work on the GPU
/// machine). Shared by the Staged and NcclEp layers.
/// </summary>
/// <remarks>
/// The staging array is rewritten by the next Dispatch only after that Dispatch's routing gather has waited on the same
/// stream, so the previous upload has run by then.
/// </remarks>
internal sealed class StagedLayoutTables : IDisposable
{
    private readonly int _localExperts;
    private readonly DeviceTensor<int> _tables;
    private readonly PinnedHostBuffer<int> _staging;

    public StagedLayoutTables(EpDevice device, int localExperts)
    {
        _localExperts = localExperts;
        _tables = DeviceTensor<int>.Allocate(device, 2, localExperts);
        try
        {
            _staging = new PinnedHostBuffer<int>(2 * localExperts);
        }
        catch
        {
            _tables.Dispose();
            throw;
        }

        Offsets = _tables.SliceRows(0, 1);
        Counts = _tables.SliceRows(1, 1);
    }

    /// <summary>[L] first row of each local expert's group.</summary>
    public DeviceTensor<int> Offsets { get; }

    /// <summary>[L] real rows of each local expert.</summary>
    public DeviceTensor<int> Counts { get; }

    /// <summary>Queues both tables' upload on <paramref name="stream"/>.</summary>
    public void Upload(ReadOnlySpan<int> offsets, ReadOnlySpan<int> counts, CudaStreamHandle stream)
    {
        Span<int> staging = _staging.Span;
        offsets.CopyTo(staging[.._localExperts]);
        counts.CopyTo(staging[_localExperts..]);
        _staging.Upload(staging.Length, StagedMemory.Address(_tables), stream);
    }

    public void Dispose()
    {
        _tables.Dispose();
        _staging.Dispose();
    }
}
