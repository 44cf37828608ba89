using System;
using System.Diagnostics;
using Ep.Interop;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;

namespace Ep.Engines.Staged;

/// <summary>
/// Routing agreement over NCCL for one layer instance, shared by the Staged engine's NCCL transport and the NcclEp
/// engine: one <c>ncclAllGather</c> of every rank's device <see cref="StagedRouteRecord"/>, then one read-back (the
/// step's one host wait). Only when some rank's record names a routing error does a second round gather each rank's
/// error details (every rank sees the same keys, so all of them take it, or none does), so every rank builds the same
/// summaries and throws the same error.
/// </summary>
/// <remarks>Every call is issued on the rank's stream; the device buffers and the host read-back buffer are allocated once.</remarks>
internal sealed class NcclRoutingGather : IDisposable
{
    // A routing error's details, gathered only when some rank has one: token, slot, value, first slot.
    private const int ErrorWords = 4;

    private readonly int _rank;
    private readonly int _ranks;
    private readonly int _experts;
    private readonly int _recordWords;
    private readonly CudaStreamHandle _stream;
    private readonly Func<IntPtr> _communicator;
    private readonly Action? _markFailed;
    private readonly DeviceTensor<long> _contribution;
    private readonly DeviceTensor<long> _gathered;
    private readonly PinnedHostBuffer<long> _readBack;

    // A started gather: its read-back is done when this event is; false once Finish has read it.
    private readonly CudaEventHandle _readBackDone;
    private bool _started;

    // A gather started ahead (Start) also sets this flag after its read-back, so that FinishInto can tell a finished
    // read-back without a driver call; null for a gather never started ahead (Staged's) and where the driver has no
    // stream memory operations.
    private readonly HostCompletionFlag? _readBackFlag;
    private uint? _readBackSignal;

    /// <param name="device">Where the gather buffers live (the rank's GPU).</param>
    /// <param name="rank">This rank.</param>
    /// <param name="ranks">The world size.</param>
    /// <param name="experts">E, for the record's size.</param>
    /// <param name="stream">The rank's stream.</param>
    /// <param name="communicator">The communicator, read at every call (a Staged lease throws once it has ended).</param>
    /// <param name="markFailed">Called before a failed NCCL call throws (peers may be mid-operation); null when nothing records it.</param>
    /// <param name="startsAhead">Whether the owner starts gathers ahead (<see cref="Start"/>, NcclEp's PrepareDispatch): only then is the read-back's host flag worth its page-locked page.</param>
    public NcclRoutingGather(EpDevice device, int rank, int ranks, int experts, CudaStreamHandle stream, Func<IntPtr> communicator, Action? markFailed,
        bool startsAhead)
    {
        _rank = rank;
        _ranks = ranks;
        _experts = experts;
        _recordWords = StagedRouteRecord.Words(ranks, experts);
        _stream = stream;
        _communicator = communicator;
        _markFailed = markFailed;
        int gatheredWords = checked(ranks * Math.Max(_recordWords, ErrorWords));
        _contribution = DeviceTensor<long>.Allocate(device, ErrorWords);
        try
        {
            _gathered = DeviceTensor<long>.Allocate(device, gatheredWords);
            _readBack = new PinnedHostBuffer<long>(gatheredWords);
            _readBackDone = CudaEventHandle.Create(timing: false);
            _readBackFlag = startsAhead ? HostCompletionFlag.TryCreate(stream) : null;
        }
        catch
        {
            _contribution.Dispose();
            _gathered?.Dispose();
            _readBack?.Dispose();
            _readBackDone?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Collective: every rank's routing summary, from the record at device address <paramref name="record"/>
    /// (<see cref="StagedRouteRecord.Words"/> words). <paramref name="describeError"/> turns this rank's error key into
    /// the full error (it reads the bad row of topkIdx); it is called only when this rank has one.
    /// </summary>
    public StagedRouteSummary[] Gather(ulong record, Func<long, StagedRoutingError> describeError)
    {
        var summaries = new StagedRouteSummary[_ranks];
        for (int r = 0; r < _ranks; r++)
        {
            summaries[r] = StagedRouteSummary.Empty(_ranks, _experts);
        }

        GatherInto(record, describeError, summaries);
        return summaries;
    }

    /// <summary>
    /// <see cref="Gather(ulong, Func{long, StagedRoutingError})"/> into <paramref name="summaries"/> (one per rank, sized
    /// by <see cref="StagedRouteSummary.Empty"/>), refilled in place: without a routing error nothing is allocated.
    /// </summary>
    public void GatherInto(ulong record, Func<long, StagedRoutingError> describeError, StagedRouteSummary[] summaries)
    {
        // The wait follows at once, so the read-back would rarely have finished: no flag, whose signal costs a driver call.
        long issued = Issue(record, signalHost: false);
        Finish(describeError, summaries);
        LastReadBackTicks += issued;
    }

    /// <summary>
    /// Collective: the first half of <see cref="GatherInto"/> — issues the AllGather of every rank's record at device
    /// address <paramref name="record"/> and its read-back into page-locked memory, and returns without waiting (a
    /// prepared Dispatch's checks run on the device while the caller goes on). <see cref="FinishInto"/> reads it.
    /// Returns the host time spent issuing the read-back, in <see cref="Stopwatch"/> ticks.
    /// </summary>
    public long Start(ulong record) => Issue(record, signalHost: true);

    /// <summary>
    /// The second half: waits for the read-back <see cref="Start"/> issued (not for later work on the stream; the wait is
    /// <see cref="LastReadBackTicks"/>), then builds every rank's summary, with a second round when some rank names a
    /// routing error. A read-back that has finished, as it usually has by then, is told by its host flag, with no
    /// driver call.
    /// </summary>
    public void FinishInto(Func<long, StagedRoutingError> describeError, StagedRouteSummary[] summaries) =>
        Finish(describeError, summaries);

    /// <summary>The AllGather and the read-back; with <paramref name="signalHost"/>, the flag is set after it too.</summary>
    private long Issue(ulong record, bool signalHost)
    {
        ulong source = Gathered(record, _recordWords);
        long before = NativeCallClock.Read();
        _readBack.DownloadAsync(source, _ranks * _recordWords, _stream);
        _readBackSignal = signalHost ? _readBackFlag?.Signal(_stream) : null;
        _readBackDone.Record(_stream);
        _started = true;
        return NativeCallClock.Read() - before;
    }

    /// <summary>Waits for the issued read-back — unless its flag says it has finished — and reads every rank's record.</summary>
    private void Finish(Func<long, StagedRoutingError> describeError, StagedRouteSummary[] summaries)
    {
        if (!_started)
        {
            throw new InvalidOperationException("No routing gather was started.");
        }

        _started = false;
        long before = NativeCallClock.Read();
        bool flagged = _readBackSignal is uint signal && _readBackFlag!.IsSet(signal);
        if (!flagged)
        {
            _readBackDone.Synchronize();
        }

        LastReadBackTicks = NativeCallClock.Read() - before;
        ReadInto(_readBack.Span[..(_ranks * _recordWords)], describeError, summaries);
    }

    /// <summary>Every rank's summary from their read-back records, and the second round when some rank names a routing error.</summary>
    private void ReadInto(ReadOnlySpan<long> records, Func<long, StagedRoutingError> describeError, StagedRouteSummary[] summaries)
    {
        bool anyError = false;
        for (int r = 0; r < _ranks; r++)
        {
            ReadOnlySpan<long> words = records.Slice(r * _recordWords, _recordWords);
            anyError |= StagedRouteRecord.ErrorKey(words) != StagedRouteRecord.NoError;
            StagedRouteRecord.ReadInto(words, _ranks, _experts, summaries[r]);
        }

        // Every rank sees the same keys, so all of them take this second round, or none does. The second round reuses
        // the read-back buffer, so the records are copied out first (only on this error path).
        if (anyError)
        {
            AddErrors(summaries, records.ToArray(), describeError);
        }
    }

    /// <summary>
    /// Host time of the latest gather's read-back, in <see cref="Stopwatch"/> ticks: issuing the copy of every rank's
    /// record to the host and waiting for it, which waits for the kernels before it (the benchmark's split of Dispatch);
    /// for a gather started ahead (<see cref="Start"/> then <see cref="FinishInto"/>), the wait only. Read only while the
    /// benchmark's clock is on (<see cref="NativeCallClock.Read"/>); 0 otherwise.
    /// </summary>
    internal long LastReadBackTicks { get; private set; }

    /// <summary>Collective: every rank's host <paramref name="values"/> (at most four words per rank), indexed by rank then word.</summary>
    public long[] GatherHost(long[] values)
    {
        StagedMemory.Upload<long>(values, StagedMemory.Address(_contribution), _stream);
        return Gather(StagedMemory.Address(_contribution), values.Length).ToArray();
    }

    public void Dispose()
    {
        _contribution.Dispose();
        _gathered.Dispose();
        _readBack.Dispose();
        _readBackDone.Dispose();
        _readBackFlag?.Dispose();
    }

    /// <summary>Second round, only when some rank's key names an error: every rank contributes its error's details (zeros if none).</summary>
    private void AddErrors(StagedRouteSummary[] summaries, long[] records, Func<long, StagedRoutingError> describeError)
    {
        long myKey = StagedRouteRecord.ErrorKey(records.AsSpan(_rank * _recordWords, _recordWords));
        var mine = new long[ErrorWords];
        if (myKey != StagedRouteRecord.NoError)
        {
            StagedRoutingError error = describeError(myKey);
            mine = [error.Token, error.Slot, error.Value, error.FirstSlot];
        }

        long[] details = GatherHost(mine);
        for (int r = 0; r < _ranks; r++)
        {
            if (StagedRouteRecord.ErrorKey(records.AsSpan(r * _recordWords, _recordWords)) != StagedRouteRecord.NoError)
            {
                ReadOnlySpan<long> d = details.AsSpan(r * ErrorWords, ErrorWords);
                summaries[r].Error = new StagedRoutingError((int)d[0], (int)d[1], d[2], (int)d[3]);
            }
        }
    }

    /// <summary>
    /// AllGathers <paramref name="words"/> int64 words per rank from device address <paramref name="source"/> and reads
    /// them back (one host wait) into the page-locked buffer: valid until the next gather. A one-rank world reads its
    /// own words back directly: an AllGather there is a device copy that costs a launch and a few µs of the one wait.
    /// </summary>
    private ReadOnlySpan<long> Gather(ulong source, int words) => _readBack.Download(Gathered(source, words), _ranks * words, _stream);

    /// <summary>Where every rank's <paramref name="words"/> words from <paramref name="source"/> are after the AllGather it issues (a one-rank world: the source itself).</summary>
    private ulong Gathered(ulong source, int words)
    {
        if (_ranks == 1)
        {
            return source;
        }

        using NativeCallClock.Scope native = NativeCallClock.Measure();
        Check(Nccl.AllGather(source, StagedMemory.Address(_gathered), (nuint)words, NcclDataType.Int64, _communicator(), _stream.DangerousGetHandle()));
        return StagedMemory.Address(_gathered);
    }

    private void Check(NcclResult status, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != NcclResult.Success)
        {
            _markFailed?.Invoke();
            NcclException.ThrowIfFailed(status, call);
        }
    }
}
