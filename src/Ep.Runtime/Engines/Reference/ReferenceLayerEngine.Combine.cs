using System;

namespace Ep;

internal sealed partial class ReferenceLayerEngine
{
    /// <summary>
    /// out[t] = Σ over every rank d that received token t (ascending d) and every row of t there (ascending row), in
    /// fp32, rounded once. LowLatency weighs each row by its routing weight; the HighThroughput layouts do not.
    /// </summary>
    public DeviceTensor<BFloat16> Combine(DeviceTensor<BFloat16> combineInput)
    {
        DeviceTensor<BFloat16>[] inputs = Exchange(combineInput, "Combine");
        int tokens = Plan.TokenCounts[_rank];
        DeviceTensor<BFloat16> output = _buffers.Combined.SliceRows(0, tokens);
        SumRowsPerToken(inputs, output.AsSpan(), weightRows: _lowLatency);
        EndExchange("Combine");
        return output;
    }

    /// <summary>
    /// Sums, for each of this rank's tokens, the rows that carried it on every rank (ascending rank, then row) from
    /// <paramref name="perRank"/> (shaped like each rank's Dispatch result), and writes the rounded sums to
    /// <paramref name="output"/> ([T, H]; zero for tokens with no expert).
    /// </summary>
    private void SumRowsPerToken(DeviceTensor<BFloat16>[] perRank, Span<BFloat16> output, bool weightRows)
    {
        int tokens = Plan.TokenCounts[_rank];
        var acc = new float[tokens * _hidden];
        for (int d = 0; d < Plan.Ranks; d++)
        {
            ReceivePlan there = Plan[d];
            ReadOnlySpan<BFloat16> rows = perRank[d].AsSpan();
            for (int row = there.FirstRowOfSource[_rank]; row < there.FirstRowOfSource[_rank + 1]; row++)
            {
                Span<float> sum = RowMath.Row(acc.AsSpan(), there.SourceToken[row], _hidden);
                if (_flat)
                {
                    RowMath.Accumulate(sum, RowMath.Row(rows, row, _hidden));
                    continue;
                }

                // Slots in ascending j sit in ascending rows (groups are in ascending local expert order).
                for (int j = 0; j < _topK; j++)
                {
                    int grouped = there.GroupedRow[row * _topK + j];
                    if (grouped < 0)
                    {
                        continue;
                    }

                    if (weightRows)
                    {
                        RowMath.Accumulate(sum, RowMath.Row(rows, grouped, _hidden), there.Weights[row * _topK + j]);
                    }
                    else
                    {
                        RowMath.Accumulate(sum, RowMath.Row(rows, grouped, _hidden));
                    }
                }
            }
        }

        RowMath.Round(acc, output[..(tokens * _hidden)]);
    }
}
