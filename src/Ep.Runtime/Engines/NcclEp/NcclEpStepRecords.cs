using System;
using Ep.Engines.Staged;
using Ep.Interop;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;

namespace Ep.Engines.NcclEp;

/// <summary>
/// A captured step's routing records: this rank's from <c>ep_sanitize_routing</c> (one per block: the lowest bad
/// entry's key, its id, its first slot, and whether NCCL EP's handle must be rebuilt), gathered from every rank inside
/// the step and read back once the replay has run, so every rank throws the same routing error
/// (<see cref="ThrowIfAny"/>). Across ranks a LowLatency step's records also carry the kernel's counts per expert
/// (<see cref="Counts"/>), which the same gather hands to every rank before NCCL EP's dispatch (at one rank the check's
/// own launch counts each group's rows).
/// </summary>
internal sealed class NcclEpStepRecords : IDisposable
{
    private const int WordsPerRecord = 4;
    private const string AfterTheStep =
        " Found by the captured step's check on the device: that replay ran without the entry (NCCL EP never saw it), so its combined rows lack it.";

    private readonly int _ranks;
    private readonly int _recordWords;
    private readonly int _words;
    private readonly int _experts;
    private readonly int _topK;
    private readonly CudaStreamHandle _stream;
    private readonly DeviceTensor<long> _records;
    private readonly DeviceTensor<long> _gathered;
    private readonly PinnedHostBuffer<long> _readBack;

    /// <param name="device">The rank's GPU.</param>
    /// <param name="ranks">The world size.</param>
    /// <param name="records">Records per rank: the sanitizing kernel's blocks.</param>
    /// <param name="experts">E, for the message.</param>
    /// <param name="topK">K, to decode a key into (token, slot).</param>
    /// <param name="stream">The layer's stream (the step's).</param>
    /// <param name="countExperts">True to carry E counts after the records (see <see cref="Counts"/>).</param>
    public NcclEpStepRecords(EpDevice device, int ranks, int records, int experts, int topK, CudaStreamHandle stream, bool countExperts = false)
    {
        _ranks = ranks;
        _recordWords = records * WordsPerRecord;
        // E ints, two to a word.
        _words = _recordWords + (countExperts ? (experts + 1) / 2 : 0);
        _experts = experts;
        _topK = topK;
        _stream = stream;
        _records = DeviceTensor<long>.Allocate(device, _words);
        try
        {
            // One rank's records are already every rank's: no gather (it would cost the step an NCCL launch).
            _gathered = ranks == 1 ? _records : DeviceTensor<long>.Allocate(device, ranks * _words);
            _readBack = new PinnedHostBuffer<long>(ranks * _words);
            if (countExperts)
            {
                // The sanitizing kernel adds to them; the clearing kernel zeroes them again after each replay.
                StagedMemory.Fill(Counts, 0u, experts, stream);
            }
        }
        catch
        {
            _records.Dispose();
            if (_gathered != _records)
            {
                _gathered?.Dispose();
            }

            throw;
        }
    }

    /// <summary>Device address of this rank's records, written by the sanitizing kernel.</summary>
    public ulong Records => StagedMemory.Address(_records);

    /// <summary>Device address of every rank's records once <see cref="EnqueueGather"/> ran (this rank's at one rank).</summary>
    public ulong Gathered => StagedMemory.Address(_gathered);

    /// <summary>
    /// Records at <see cref="Gathered"/>: every rank's. Only when there are no counts are they contiguous (the handle
    /// decision, a HighThroughput step's, reads them as one array).
    /// </summary>
    public int GatheredRecords => _words == _recordWords
        ? _ranks * _words / WordsPerRecord
        : throw new InvalidOperationException("A step's records with counts are not one array.");

    /// <summary>
    /// Device address of this rank's E int counts (<c>ep_sanitize_routing</c> adds what it keeps for each expert;
    /// zero before each replay), gathered after its records; 0 when constructed without counts.
    /// </summary>
    public ulong Counts => _words == _recordWords ? 0 : StagedMemory.Address(_records, _recordWords);

    /// <summary>Where every rank's <see cref="Counts"/> are once <see cref="EnqueueGather"/> ran, for the rank whose local experts start at <paramref name="firstExpert"/>.</summary>
    public GatheredExpertCounts CountsFor(int firstExpert) =>
        Counts != 0 ? new(Gathered, _ranks, _words, _recordWords, firstExpert, Counts) : throw new InvalidOperationException("These records carry no counts.");

    /// <summary>Enqueues the AllGather of every rank's records (capturable: no host wait); nothing at one rank.</summary>
    public void EnqueueGather(IntPtr communicator)
    {
        if (_ranks > 1)
        {
            using NativeCallClock.Scope native = NativeCallClock.Measure();
            NcclException.ThrowIfFailed(Nccl.AllGather(Records, StagedMemory.Address(_gathered), (nuint)_words, NcclDataType.Int64, communicator,
                _stream.DangerousGetHandle()));
        }
    }

    /// <summary>Waits for the step and throws the lowest rank's lowest error, if any rank had one.</summary>
    public void ThrowIfAny()
    {
        ReadOnlySpan<long> gathered = _readBack.Download(StagedMemory.Address(_gathered), _ranks * _words, _stream);
        for (int rank = 0; rank < _ranks; rank++)
        {
            ReadOnlySpan<long> records = gathered.Slice(rank * _words, _recordWords);
            int lowest = -1;
            for (int at = 0; at < _recordWords; at += WordsPerRecord)
            {
                if (records[at] != StagedRouteRecord.NoError && (lowest < 0 || records[at] < records[lowest]))
                {
                    lowest = at;
                }
            }

            if (lowest >= 0)
            {
                (int token, int slot, _) = StagedRouteRecord.Decode(records[lowest], _topK);
                throw new StagedRoutingError(token, slot, records[lowest + 1], (int)records[lowest + 2]).ToException(rank, _experts, AfterTheStep);
            }
        }
    }

    public void Dispose()
    {
        if (_gathered != _records)
        {
            _gathered.Dispose();
        }

        _records.Dispose();
        _readBack.Dispose();
    }
}
