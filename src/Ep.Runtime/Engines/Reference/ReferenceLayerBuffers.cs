using System;
using System.Collections.Generic;

namespace Ep;

/// <summary>
/// The output buffers one layer owns, each sized for the worst case once, so every result is a row slice of a buffer
/// that never moves (as a GPU engine must do: results stay valid until the next Dispatch, and NCCL windows cannot grow).
/// Forward buffers are allocated with the layer (ZeroCopy ones collectively, in symmetric memory); backward buffers on
/// their first use, so inference-only layers never pay for them.
/// </summary>
internal sealed class ReferenceLayerBuffers : IDisposable
{
    private readonly List<IDisposable> _owned = new();
    private readonly int _hidden;
    private readonly int _topK;
    private readonly int _maxTokens;

    public ReferenceLayerBuffers(EpLayerSpec spec, int ranks, ReferenceEngine engine)
    {
        _hidden = spec.HiddenSize;
        _topK = spec.TopK;
        _maxTokens = spec.MaxTokensPerRank;
        int localExperts = spec.LocalExperts(ranks);
        bool flat = spec.Layout == EpLayout.Flat && spec.Algorithm != EpAlgorithm.LowLatency;
        FlatRows = checked((int)spec.RecvCapacity(ranks));
        PermutedRows = checked(FlatRows * Math.Min(spec.TopK, localExperts));
        GroupedRows = spec.Algorithm == EpAlgorithm.LowLatency
            ? checked(localExperts * ranks * spec.MaxTokensPerRank)
            : checked((int)spec.ExpertMajorCapacity(ranks));
        ReceivedRows = flat ? FlatRows : GroupedRows;
        ExpertRows = flat ? PermutedRows : GroupedRows;

        // Peers write the received rows and read Unpermute's result in place when the layer is zero-copy.
        ReceivedTokens = spec.ZeroCopy ? Own(engine.AllocateSymmetric<BFloat16>(ReceivedRows, _hidden)) : Matrix<BFloat16>(ReceivedRows, _hidden);
        CombineInput = spec.ZeroCopy ? Own(engine.AllocateSymmetric<BFloat16>(ReceivedRows, _hidden)) : Matrix<BFloat16>(ReceivedRows, _hidden);
        ReceivedIdx = flat ? Matrix<long>(FlatRows, _topK) : null;
        ReceivedWeights = flat ? Matrix<float>(FlatRows, _topK) : Vector<float>(GroupedRows);
        Permuted = flat ? Matrix<BFloat16>(PermutedRows, _hidden) : null;
        Combined = Matrix<BFloat16>(_maxTokens, _hidden);
    }

    /// <summary>Flat receive capacity in rows (RecvCapacity).</summary>
    public int FlatRows { get; }

    /// <summary>Flat Permute capacity: every received row fans out to at most min(K, L) experts.</summary>
    public int PermutedRows { get; }

    /// <summary>ExpertMajor (padded) or LowLatency (fixed groups) rows.</summary>
    public int GroupedRows { get; }

    /// <summary>Rows of Dispatch's result buffer in this layer's layout.</summary>
    public int ReceivedRows { get; }

    /// <summary>Rows of the expert-major buffers (Permute's result and the expert-output gradient).</summary>
    public int ExpertRows { get; }

    public DeviceTensor<BFloat16> ReceivedTokens { get; }

    public DeviceTensor<long>? ReceivedIdx { get; }

    public DeviceTensor<float> ReceivedWeights { get; }

    /// <summary>Flat Permute's result; null in the grouped layouts, where Permute returns Dispatch's rows.</summary>
    public DeviceTensor<BFloat16>? Permuted { get; }

    /// <summary>Unpermute's result, Combine's usual input.</summary>
    public DeviceTensor<BFloat16> CombineInput { get; }

    public DeviceTensor<BFloat16> Combined { get; }

    public DeviceTensor<BFloat16> GradCombineInput => field ??= Matrix<BFloat16>(ReceivedRows, _hidden);

    public DeviceTensor<BFloat16> GradExpertOutput => field ??= Matrix<BFloat16>(ExpertRows, _hidden);

    public DeviceTensor<float> GradReceivedWeights => field ??= ReceivedIdx is not null
        ? Matrix<float>(FlatRows, _topK)
        : Vector<float>(GroupedRows);

    public DeviceTensor<BFloat16> GradReceived => field ??= Matrix<BFloat16>(ReceivedRows, _hidden);

    public DeviceTensor<BFloat16> GradTokens => field ??= Matrix<BFloat16>(_maxTokens, _hidden);

    public DeviceTensor<float> GradTopkWeights => field ??= Matrix<float>(_maxTokens, _topK);

    /// <summary>The first <paramref name="rows"/> rows of <paramref name="buffer"/>, symmetric when the buffer is.</summary>
    public static DeviceTensor<T> Head<T>(DeviceTensor<T> buffer, int rows)
        where T : unmanaged
        => buffer is SymmetricTensor<T> symmetric ? symmetric.SliceRows(0, rows) : buffer.SliceRows(0, rows);

    public void Dispose()
    {
        foreach (IDisposable buffer in _owned)
        {
            buffer.Dispose();
        }

        _owned.Clear();
    }

    private DeviceTensor<T> Matrix<T>(int rows, int columns)
        where T : unmanaged
        => Own(DeviceTensor<T>.Allocate(EpDevice.Cpu, rows, columns));

    private DeviceTensor<T> Vector<T>(int length)
        where T : unmanaged
        => Own(DeviceTensor<T>.Allocate(EpDevice.Cpu, length));

    private TTensor Own<TTensor>(TTensor tensor)
        where TTensor : IDisposable
    {
        _owned.Add(tensor);
        return tensor;
    }
}
