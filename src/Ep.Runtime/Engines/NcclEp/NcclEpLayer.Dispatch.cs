using System;
using System.Diagnostics;
using Ep.Engines.Staged;
using Ep.Interop;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

internal sealed unsafe partial class NcclEpLayer
{
    /// <summary>
    /// Validates and counts on the device, agrees with every rank (routing and capacity errors are thrown identically
    /// everywhere, before NCCL EP — which aborts on bad ids — is called), then updates the handle and dispatches.
    /// </summary>
    public EpDispatchResult Dispatch(long step, DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights) =>
        DispatchRouted(step, tokens, topkIdx, topkWeights);

    /// <summary>
    /// Collective: the first half of Dispatch's routing agreement, ahead of it — the routing record (with the layer's
    /// copies of the ids and weights, as they are when it runs), the AllGather across ranks and the records' read-back —
    /// issued without waiting; <see cref="DispatchPrepared"/> then waits only for that read-back. LowLatency also
    /// updates the handle here.
    /// </summary>
    public void PrepareDispatch(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        _device.MakeCurrent();
        if (_shape.LowLatency)
        {
            // LowLatency's update only copies the ids' descriptor on the host (NCCL EP reads the ids in its Dispatch and
            // Combine, never here), so it is made now, with the copy the record below writes, which the Dispatch makes
            // current: the idle stream no longer waits for it there. The previous step's Combine, issued before (the
            // runtime prepares only after it), took its descriptor when it was called. A Dispatch whose checks fail
            // leaves the handle on that spare copy, which nothing reads before the next step updates it again.
            int ncclEpTokens = NcclEpTokens(topkIdx.Rows);
            _calls.RequireUpdateHandle(NcclEpTensorInfo.Matrix("topkIdx", NcclDataType.Int64, ncclEpTokens, TopK));
            UpdateHandle(_buffers.Sources.NextIdx, ncclEpTokens);
            HandleUpdates++;
        }

        _routing.Start(RecordRouting(topkIdx, topkWeights, topkIdx.Rows));
        // LowLatency: the layout branch starts here rather than right before ncclEpDispatch, where its two CUDA calls
        // would hold the idle stream. Nothing the layout must follow is issued in between: the runtime prepares only
        // after the previous step's Combine, LowLatency has no backward pass, and the routing record touches neither
        // the tables nor the received rows (the test hook's poisoning of them forks again, DispatchRouted).
        _layoutBranch?.Fork();
    }

    /// <summary>
    /// Dispatch with the routing <see cref="PrepareDispatch"/> started: the same checks, from its records (the runtime
    /// allows it only right after one, for as many tokens; the gather refuses a Dispatch that started none).
    /// </summary>
    public EpDispatchResult DispatchPrepared(long step, DeviceTensor<BFloat16> tokens) =>
        DispatchRouted(step, tokens, topkIdx: null, topkWeights: null);

    /// <summary>Dispatch, its routing recorded now (<paramref name="topkIdx"/> given) or by <see cref="PrepareDispatch"/> (null).</summary>
    private EpDispatchResult DispatchRouted(long step, DeviceTensor<BFloat16> tokens, DeviceTensor<long>? topkIdx, DeviceTensor<float>? topkWeights)
    {
        _device.MakeCurrent();
        _segments.Start();
        int tokenCount = tokens.Rows;
        if (tokenCount > _spec.MaxTokensPerRank)
        {
            throw new EpShapeException(nameof(tokens), "at most rows (MaxTokensPerRank)", _spec.MaxTokensPerRank, tokenCount);
        }

        // NCCL EP is never given T = 0: a rank without tokens hands it one token that names no expert (see NcclEpTokens).
        int ncclEpTokens = NcclEpTokens(tokenCount);

        RequireDispatchCall(tokens, tokenCount, ncclEpTokens);
        _segments.End(0);

        NcclEpMarks? marks = DeviceMarks;
        marks?.Record(0, _stream);
        // Every rank's routing record into the layer's summaries: the step's one host wait before NCCL EP (a bad entry
        // anywhere costs one more round, with its row read on the rank that has it). Recorded now, or gathered from
        // the record PrepareDispatch started.
        if (topkIdx is not null)
        {
            _routing.GatherInto(RecordRouting(topkIdx, topkWeights!, tokenCount), _describeRoutingError, _summaries);
        }
        else
        {
            _routing.FinishInto(_describeRoutingError, _summaries);
        }

        StagedRoutePlan plan = _routePlan;
        plan.ThrowIfInvalid();
        marks?.Record(1, _stream);
        _segments.End(1); // the agreement, which LastDispatchPhases reports too

        // Committed: from here on this step replaces the previous one, and its copies of the ids and weights are the
        // current ones (a kept handle goes on holding the ids it has, which this step's equal).
        _tokens = tokenCount;
        bool keepHandle = EveryRankMatchesHeldRouting(_summaries);
        if (!keepHandle)
        {
            ForgetHeldRoutingEverywhere();
        }

        NcclEpSourceCopies sources = _buffers.Sources;
        sources.Commit(keepIdx: keepHandle);

        // A step in which no rank sends a row (every rank agrees, from the same plan) needs no exchange: NCCL EP is not
        // called (it launches empty grids, leaving a CUDA error that a later NCCL EP call turns into an abort).
        _idle = IsIdle(plan);
        if (_idle)
        {
            PoisonReceivedRows();
            PoisonReceivedWeights();
            if (_shape.LowLatency)
            {
                Clear(_buffers.RecvRows);
            }

            LastDispatchPhases = new NcclEpDispatchPhases(_segments.WallTicks(1), 0, 0, 0, _routing.LastReadBackTicks);
            EpDispatchResult idle = LayOutReceived(step, plan, _stream);
            _segments.End(3);
            return idle;
        }

        long beforeHandle = NativeCallClock.Read();
        bool updatedAtPrepare = topkIdx is null && _shape.LowLatency;
        if (!keepHandle && !updatedAtPrepare)
        {
            UpdateHandle(sources.Idx, ncclEpTokens);
            HandleUpdates++;
            _heldRoutingTokens = _shape.LowLatency ? null : tokenCount;
        }

        long handled = NativeCallClock.Read();
        marks?.Record(2, _stream);

        PoisonReceivedRows();
        PoisonReceivedWeights();
        // LowLatency lays out beside ncclEpDispatch (see _layoutBranch): boundary 3 then ends NCCL EP's dispatch, and 4
        // whatever of the layout outlasts it. A prepared step's branch started at PrepareDispatch (topkIdx null), unless
        // the received rows were poisoned since, which the layout's clear must follow.
        bool forkedAtPrepare = topkIdx is null && !PoisonOutputs;
        CudaStreamBranch? beside = _layoutBranch;
        if (!forkedAtPrepare)
        {
            beside?.Fork();
        }

        long dispatchTicks = DispatchRows(tokens, ncclEpTokens, sources.Weights);
        _segments.End(2);
        marks?.Record(3, _stream);
        long layoutTicks = LayOut(step, plan, beside?.Stream ?? _stream, out EpDispatchResult result);
        beside?.Join();
        marks?.Record(4, _stream);
        LastDispatchPhases = new NcclEpDispatchPhases(_segments.WallTicks(1), handled - beforeHandle, dispatchTicks, layoutTicks, _routing.LastReadBackTicks);
        _segments.End(3);
        return result;
    }

    /// <summary><see cref="LayOutReceived"/>, returning its host time in <see cref="Stopwatch"/> ticks.</summary>
    private long LayOut(long step, StagedRoutePlan plan, CudaStreamHandle layoutStream, out EpDispatchResult result)
    {
        long before = NativeCallClock.Read();
        result = LayOutReceived(step, plan, layoutStream);
        return NativeCallClock.Read() - before;
    }

    /// <summary>
    /// Checks every tensor NCCL EP will see in this Dispatch against its asserts (they would abort the process), before
    /// anything runs. Besides the layer's own buffers, fixed at creation, the checks read only the token counts and the
    /// shape of <paramref name="tokens"/>: a call that repeats the last passing ones would pass again, so it skips them
    /// (they took 0.8 µs of HT Flat's managed code per Dispatch, bench/RESULTS.md run 18). A failing call leaves nothing
    /// remembered.
    /// </summary>
    private void RequireDispatchCall(DeviceTensor<BFloat16> tokens, int tokenCount, int ncclEpTokens)
    {
        var call = new DispatchCallShape(ncclEpTokens, tokenCount, tokenCount > 0 ? tokens.Dimensions : 0, tokenCount > 0 ? tokens.Columns : 0);
        if (call == _passedDispatchCall)
        {
            return;
        }

        _calls.RequireUpdateHandle(NcclEpTensorInfo.Matrix("topkIdx", NcclDataType.Int64, ncclEpTokens, TopK));
        _calls.RequireDispatch(NcclEpPassDirection.Forward, ncclEpTokens, new NcclEpDispatchTensors
        {
            Tokens = tokenCount > 0 ? NcclEpTensorInfo.Of(tokens, nameof(tokens)) : NcclEpTensorInfo.Matrix(nameof(tokens), NcclDataType.BFloat16, ncclEpTokens, Hidden),
            TopkWeights = _shape.LowLatency ? null : NcclEpTensorInfo.Matrix("topkWeights", NcclDataType.Float32, ncclEpTokens, TopK),
            OutputTokens = SlotsInfo(_buffers.RecvRows, "receivedTokens"),
            OutputTopkWeights = _shape.LowLatency ? null : NcclEpTensorInfo.Of(_buffers.RecvWeights, "receivedWeights"),
            OutputTopkIdx = _shape.ExpertMajor ? null : NcclEpTensorInfo.Of(_buffers.RecvIdx, "receivedIdx"),
            ExpertCounters = _shape.LowLatency ? NcclEpTensorInfo.Of(_buffers.ExpertCounters, "expertCounters") : null,
        });
        _passedDispatchCall = call;
    }

    /// <summary>What a Dispatch's tensor checks read besides the layer's own buffers (dimensions and columns 0 for no tokens).</summary>
    private readonly record struct DispatchCallShape(int NcclEpTokens, int Tokens, int TokenDimensions, int TokenColumns);

    /// <summary><c>ncclEpUpdateHandle</c> with one of the layer's copies of the ids (<paramref name="ncclEpTokens"/> rows of <paramref name="idx"/>).</summary>
    private void UpdateHandle(DeviceTensor<long> idx, int ncclEpTokens)
    {
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        NcclException.ThrowIfFailed(NcclEpNative.UpdateHandle(_handle.DangerousGetHandle(),
            _descriptors.TopkIdx.Describe(Address(idx), [ncclEpTokens, TopK]), null, Stream));
    }

    /// <summary>
    /// <c>ncclEpDispatch</c> (forward) of <paramref name="tokens"/> into the layer's receive buffers, for the algorithm
    /// and layout, HighThroughput with the layer's copy of the weights <paramref name="weights"/>; returns the native
    /// call's host time in <see cref="Stopwatch"/> ticks.
    /// </summary>
    private long DispatchRows(DeviceTensor<BFloat16> tokens, int ncclEpTokens, DeviceTensor<float> weights)
    {
        NcclEpLayerBuffers b = _buffers;
        NcclEpDispatchInputs inputs = NcclEpDispatchInputs.Create();
        inputs.Tokens = _descriptors.InTokens.Describe(NonNull(tokens), [ncclEpTokens, Hidden]);
        NcclEpDispatchOutputs outputs = NcclEpDispatchOutputs.Create();
        NcclEpLayoutInfo layout = NcclEpLayoutInfo.Create();
        NcclEpLayoutInfo* layoutInfo = null;
        if (_shape.LowLatency)
        {
            // LL: expert-major [L, R·MaxTokensPerRank, H]; ids and weights stay with the source (Combine applies them).
            outputs.Tokens = DescribeSlots(_descriptors.OutTokens, b.RecvRows);
            layout.ExpertCounters = _descriptors.ExpertCounters.Describe(Address(b.ExpertCounters), [_shape.LocalExperts]);
            layoutInfo = &layout;
        }
        else
        {
            inputs.TopkWeights = _descriptors.InWeights.Describe(Address(weights), [ncclEpTokens, TopK]);
            outputs.Tokens = DescribeSlots(_descriptors.OutTokens, b.RecvRows);
            if (_shape.ExpertMajor)
            {
                outputs.TopkWeights = _descriptors.OutWeights.Describe(Address(b.RecvWeights), [_shape.ReceiveSlots]);
            }
            else
            {
                Poison(b.RecvIdx);
                outputs.TopkWeights = _descriptors.OutWeights.Describe(Address(b.RecvWeights), [_shape.ReceiveSlots, TopK]);
                outputs.TopkIdx = _descriptors.OutIdx.Describe(Address(b.RecvIdx), [_shape.ReceiveSlots, TopK]);
            }
        }

        NcclEpDispatchConfig config = NcclEpDispatchConfig.Create(NcclEpPassDirection.Forward);
        long before = NativeCallClock.Read();
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        NcclException.ThrowIfFailed(NcclEpNative.Dispatch(_handle.DangerousGetHandle(), &inputs, &outputs, layoutInfo, &config, Stream));
        return NativeCallClock.Read() - before;
    }

    /// <summary>
    /// Whether every rank's ids equal the ones the HighThroughput handle was last updated with (each rank's routing
    /// record says so: <see cref="HeldRoutingIdx"/>), so that <c>ncclEpUpdateHandle</c> — a collective of ≈ 200 µs on
    /// the stream at 4096 tokens — would rebuild the state the handle already has. Every rank reads the same records,
    /// so all of them keep the handle, or none does.
    /// </summary>
    private static bool EveryRankMatchesHeldRouting(StagedRouteSummary[] summaries)
    {
        foreach (StagedRouteSummary summary in summaries)
        {
            if (!summary.MatchesHeldRouting)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The ids the route record compares this step's with: the layer's copy the HighThroughput handle was last updated
    /// from, when it holds a routing of <paramref name="tokenCount"/> tokens; else 0 (update). LowLatency always updates:
    /// its update is a host-side copy of a descriptor (≈ 1 µs), and a captured step rewrites the copy on the device.
    /// </summary>
    private ulong HeldRoutingIdx(int tokenCount) => _heldRoutingTokens == tokenCount ? Address(_buffers.Sources.Idx) : 0;

    /// <summary>Whether the latest Dispatch that passed its checks was idle: no rank sent a row, and NCCL EP was not called.</summary>
    internal bool LastDispatchIdle => _idle;

    /// <summary>Test hook: how many times Dispatch has updated the handle (a step whose routing every rank repeats keeps it).</summary>
    internal int HandleUpdates { get; private set; }

    /// <summary>
    /// Where the host time of the latest Dispatch went (the benchmark's split of Dispatch against ep_bench); its clock
    /// is read only while the benchmark's is on (<see cref="NativeCallClock.Read"/>), so in normal use every part is 0.
    /// </summary>
    internal NcclEpDispatchPhases LastDispatchPhases { get; private set; }

    /// <summary>The benchmark's split of the latest Dispatch's managed code by part (recorded while its clock is on).</summary>
    internal NcclEpDispatchSegments DispatchSegments => _segments;

    /// <summary>Set by the benchmark: events each non-idle Dispatch records at its parts' boundaries; null in normal use.</summary>
    internal NcclEpMarks? DeviceMarks { get; set; }

    /// <summary>
    /// The token count NCCL EP is given: at least one. With T = 0 its kernels launch empty grids, which leaves a pending
    /// CUDA error in its runtime that its next LL group creation turns into abort() (CUDA_CHECK(cudaGetLastError()));
    /// seen with one rank, and across GPUs on a rank with no tokens while others send. A rank without tokens therefore
    /// hands NCCL EP one token that names no expert: it is sent nowhere, and its combined row is never returned.
    /// </summary>
    private static int NcclEpTokens(int tokenCount) => Math.Max(tokenCount, 1);

    /// <summary>The token count NCCL EP was given in this step's Dispatch (see <see cref="NcclEpTokens"/>).</summary>
    private int StepNcclEpTokens => NcclEpTokens(_tokens);

    private static bool IsIdle(StagedRoutePlan plan)
    {
        for (int d = 0; d < plan.Ranks; d++)
        {
            if (plan.RowsReceived(d) > 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Launches the routing record — validation and counting on the device, which also copies the step's ids and weights
    /// into the layer's next pair (a kept HighThroughput handle leaves the ids' copy unused) — and returns its address.
    /// </summary>
    private ulong RecordRouting(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights, int tokenCount)
    {
        NcclEpSourceCopies sources = _buffers.Sources;
        var copies = new StagedKernels.RoutingCopies(Address(sources.NextIdx), Address(topkWeights), Address(sources.NextWeights));
        return _kernels.RouteRecord(Address(topkIdx), tokenCount, TopK, Ranks, _shape.LocalExperts, position: 0, pairPosition: 0,
            _buffers.RouteRecords, HeldRoutingIdx(tokenCount), copies);
    }

    /// <summary>
    /// The full routing error behind <paramref name="key"/>, read from the layer's next copy of the ids, which the record
    /// wrote as it checked them and which stays the spare until the checks pass (a cached delegate: no closure per call).
    /// </summary>
    private StagedRoutingError DescribeRoutingError(long key) => StagedRouteRecord.Describe(_buffers.Sources.NextIdx, key, TopK, _stream);

    /// <summary>
    /// Poisons the received weights before NCCL EP HT writes them. LowLatency never writes them (NCCL EP LL delivers no
    /// per-row weights): its result's weights are the zeros the buffer was allocated with, so they are left alone.
    /// </summary>
    private void PoisonReceivedWeights()
    {
        if (!_shape.LowLatency)
        {
            Poison(_buffers.RecvWeights);
        }
    }

    /// <summary>
    /// Sets the step's layout. HighThroughput ExpertMajor: marks padding rows for the row-wise kernels. LowLatency: zeroes
    /// the unused rows (NCCL EP leaves them); its kernels tell real rows from padding by the counts (row r of group e is
    /// real when r − e · G is below count[e]), so the rows of its fixed groups are not marked every step. The tables'
    /// upload and LowLatency's clear go on <paramref name="layoutStream"/> (the layer's stream, or its layout branch).
    /// HighThroughput Flat: host state only; Permute uploads the tables with m(n, j).
    /// </summary>
    private EpDispatchResult LayOutReceived(long step, StagedRoutePlan plan, CudaStreamHandle layoutStream)
    {
        NcclEpLayerBuffers b = _buffers;
        (int[] counts, int[] offsets) = _results.Next();
        plan.ExpertCounts(_rank, counts);
        int layoutRows = plan.ExpertOffsets(counts, offsets);
        int rows = plan.RowsReceived(_rank);
        if (!_shape.ExpertMajor)
        {
            // m(n, j) and the groups' tables are Permute's work (StagedLocalReorder): the Flat result is what NCCL EP
            // delivered, and nothing of this step follows ncclEpDispatch on the stream.
            _local.SetStep(rows, layoutRows, counts, offsets);
            return _results.Result(step, EpLayout.Flat, _views.RecvRows.Rows(rows), _views.RecvIdx.Rows(rows), _views.RecvWeights.Rows(rows), _tokens);
        }

        b.Layout.Upload(offsets, counts, layoutStream);
        _local.SetStep(rows, layoutRows, counts, offsets);
        if (!_shape.LowLatency)
        {
            _kernels.MarkRows(Address(b.ExpertOffsets), Address(b.ExpertCounts), _shape.LocalExperts, layoutRows, Address(b.RowSource));
        }
        else
        {
            // NCCL EP LL writes each expert's rows from the start of its group and leaves the rest: only the rows the
            // previous step filled beyond this step's counts need zeroing. It delivers no per-row weights (its
            // Combine applies the source's), so the result's weights are the buffer's zeros (PoisonReceivedWeights).
            _padding!.ClearVacated(LowLatencyGroupBuffer.Received, Address(b.RecvRows), layoutStream);
        }

        return _results.Result(step, EpLayout.ExpertMajor, _views.RecvRows.Rows(layoutRows), null, _views.RecvWeights.Rows(layoutRows), _tokens);
    }
}
