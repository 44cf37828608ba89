using System;

namespace Ep;

internal sealed partial class ReferenceLayerEngine
{
    public EpPermutedBatch Permute(EpDispatchResult dispatched)
    {
        ReceivePlan received = Received;
        if (!_flat)
        {
            // ExpertMajor and LowLatency rows are already grouped by expert: the batch is a view of Dispatch's rows.
            return new EpPermutedBatch(dispatched.Step, dispatched.Tokens,
                (int[])received.ExpertCounts.Clone(), (int[])received.GroupOffsets.Clone());
        }

        int m = received.PermutedRowCount;
        ReadOnlySpan<BFloat16> rows = dispatched.Tokens.AsSpan();
        Span<BFloat16> permuted = _buffers.Permuted!.AsSpan()[..(m * _hidden)];
        for (int row = 0; row < received.RowCount; row++)
        {
            for (int j = 0; j < _topK; j++)
            {
                int target = received.PermutedRow[row * _topK + j];
                if (target >= 0)
                {
                    RowMath.Row(rows, row, _hidden).CopyTo(RowMath.Row(permuted, target, _hidden));
                }
            }
        }

        return new EpPermutedBatch(dispatched.Step, _buffers.Permuted!.SliceRows(0, m),
            (int[])received.ExpertCounts.Clone(), (int[])received.PermutedOffsets.Clone());
    }

    public DeviceTensor<BFloat16> Unpermute(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput)
    {
        ReceivePlan received = Received;
        ReadOnlySpan<BFloat16> expert = expertOutput.AsSpan();
        if (_flat)
        {
            // z[n] = Σ_j c(n, j) · expertOut[m(n, j)], ascending j, rounded once.
            int n = received.RowCount;
            Span<BFloat16> z = _buffers.CombineInput.AsSpan()[..(n * _hidden)];
            var acc = new float[_hidden];
            for (int row = 0; row < n; row++)
            {
                Array.Clear(acc);
                for (int j = 0; j < _topK; j++)
                {
                    int source = received.PermutedRow[row * _topK + j];
                    if (source >= 0)
                    {
                        RowMath.Accumulate(acc, RowMath.Row(expert, source, _hidden), Weighted ? received.Weights[row * _topK + j] : 1f);
                    }
                }

                RowMath.Round(acc, RowMath.Row(z, row, _hidden));
            }

            return ReferenceLayerBuffers.Head(_buffers.CombineInput, n);
        }

        // ExpertMajor: z[m] = c(m) · expertOut[m] (a bit copy when unweighted); LowLatency copies. Padding stays zero.
        int rows = received.GroupedRowCount;
        Span<BFloat16> grouped = _buffers.CombineInput.AsSpan()[..(rows * _hidden)];
        grouped.Clear();
        for (int slot = 0; slot < received.GroupedRow.Length; slot++)
        {
            int row = received.GroupedRow[slot];
            if (row < 0)
            {
                continue;
            }

            ReadOnlySpan<BFloat16> source = RowMath.Row(expert, row, _hidden);
            Span<BFloat16> target = RowMath.Row(grouped, row, _hidden);
            if (Weighted)
            {
                RowMath.Scale(source, received.Weights[slot], target);
            }
            else
            {
                source.CopyTo(target);
            }
        }

        return ReferenceLayerBuffers.Head(_buffers.CombineInput, rows);
    }
}
