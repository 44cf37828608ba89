using System;
using System.Collections.Generic;

namespace Ep;

/// <summary>
/// What one destination rank d receives in one step, and where every (row, expert) pair goes in each layout.
/// Built identically on every rank from everyone's routing, so senders and receivers agree without asking.
/// </summary>
/// <remarks>
/// Flat row n is one (source rank, token) with at least one expert on d, ordered by source rank then token. Slot j of
/// row n holds the j-th smallest local expert id of that token on d; (n, j) is valid while <see cref="LocalIds"/> is
/// not −1. Arrays indexed by (n, j) have N × K entries, row-major.
/// </remarks>
internal sealed class ReceivePlan
{
    private ReceivePlan(int topK, int localExperts)
    {
        TopK = topK;
        LocalExperts = localExperts;
    }

    public int TopK { get; }

    public int LocalExperts { get; }

    /// <summary>N, the Flat rows.</summary>
    public int RowCount { get; private set; }

    /// <summary>[N]: the rank that sent row n.</summary>
    public int[] SourceRank { get; private set; } = [];

    /// <summary>[N]: the token (row of the sender's input) of row n.</summary>
    public int[] SourceToken { get; private set; } = [];

    /// <summary>[R + 1]: rows sent by rank s are [FirstRowOfSource[s], FirstRowOfSource[s + 1]).</summary>
    public int[] FirstRowOfSource { get; private set; } = [];

    /// <summary>[N, K]: local expert ids, ascending, then −1.</summary>
    public long[] LocalIds { get; private set; } = [];

    /// <summary>[N, K]: the caller's weight of each valid slot, 0 at padding.</summary>
    public float[] Weights { get; private set; } = [];

    /// <summary>[N, K]: the caller's top-k slot k that slot j came from, −1 at padding.</summary>
    public int[] SourceSlot { get; private set; } = [];

    /// <summary>[L]: (row, expert) pairs per local expert.</summary>
    public int[] ExpertCounts { get; private set; } = [];

    /// <summary>[L]: first row of each expert in the unpadded expert-major order (Flat Permute).</summary>
    public int[] PermutedOffsets { get; private set; } = [];

    /// <summary>M of Flat Permute: Σ ExpertCounts.</summary>
    public int PermutedRowCount { get; private set; }

    /// <summary>[N, K]: m(n, j), the unpadded expert-major row of each valid slot, −1 at padding.</summary>
    public int[] PermutedRow { get; private set; } = [];

    /// <summary>[L]: first row of each expert's group in the ExpertMajor / LowLatency dispatch layout.</summary>
    public int[] GroupOffsets { get; private set; } = [];

    /// <summary>Rows of the ExpertMajor / LowLatency dispatch layout, padding included.</summary>
    public int GroupedRowCount { get; private set; }

    /// <summary>[N, K]: the row of each valid slot in the ExpertMajor / LowLatency layout, −1 at padding.</summary>
    public int[] GroupedRow { get; private set; } = [];

    /// <summary>Collects rows for one destination while the sources are walked in (rank, token) order.</summary>
    internal sealed class Builder
    {
        private readonly int _topK;
        private readonly int _localExperts;
        private readonly List<int> _sourceRank = new();
        private readonly List<int> _sourceToken = new();
        private readonly List<long> _localIds = new();
        private readonly List<float> _weights = new();
        private readonly List<int> _sourceSlot = new();

        public Builder(int topK, int localExperts)
        {
            _topK = topK;
            _localExperts = localExperts;
        }

        public int RowCount => _sourceRank.Count;

        /// <summary>Adds one row; <paramref name="ids"/>, <paramref name="weights"/>, <paramref name="slots"/> are sorted by id already.</summary>
        public void AddRow(int source, int token, ReadOnlySpan<long> ids, ReadOnlySpan<float> weights, ReadOnlySpan<int> slots)
        {
            _sourceRank.Add(source);
            _sourceToken.Add(token);
            for (int j = 0; j < _topK; j++)
            {
                bool valid = j < ids.Length;
                _localIds.Add(valid ? ids[j] : -1);
                _weights.Add(valid ? weights[j] : 0f);
                _sourceSlot.Add(valid ? slots[j] : -1);
            }
        }

        /// <summary>
        /// Finishes the plan. <paramref name="alignment"/> pads ExpertMajor groups; a positive
        /// <paramref name="fixedGroupRows"/> gives LowLatency's fixed groups of that many rows instead.
        /// </summary>
        public ReceivePlan Build(int ranks, int alignment, int fixedGroupRows)
        {
            int n = _sourceRank.Count;
            var plan = new ReceivePlan(_topK, _localExperts)
            {
                RowCount = n,
                SourceRank = _sourceRank.ToArray(),
                SourceToken = _sourceToken.ToArray(),
                LocalIds = _localIds.ToArray(),
                Weights = _weights.ToArray(),
                SourceSlot = _sourceSlot.ToArray(),
            };

            plan.FirstRowOfSource = new int[ranks + 1];
            for (int row = 0, s = 0; s <= ranks; s++)
            {
                while (row < n && plan.SourceRank[row] < s)
                {
                    row++;
                }

                plan.FirstRowOfSource[s] = row;
            }

            var counts = new int[_localExperts];
            foreach (long id in plan.LocalIds)
            {
                if (id >= 0)
                {
                    counts[id]++;
                }
            }

            var offsets = new int[_localExperts];
            var groupOffsets = new int[_localExperts];
            int permuted = 0, grouped = 0;
            for (int e = 0; e < _localExperts; e++)
            {
                offsets[e] = permuted;
                permuted += counts[e];
                groupOffsets[e] = fixedGroupRows > 0 ? e * fixedGroupRows : grouped;
                grouped += (counts[e] + alignment - 1) / alignment * alignment;
            }

            // Within an expert's group, rows follow increasing n: walking (n, j) in order and taking the next free
            // row of the slot's expert gives exactly that.
            var cursor = new int[_localExperts];
            plan.PermutedRow = new int[plan.LocalIds.Length];
            plan.GroupedRow = new int[plan.LocalIds.Length];
            for (int i = 0; i < plan.LocalIds.Length; i++)
            {
                long id = plan.LocalIds[i];
                if (id < 0)
                {
                    plan.PermutedRow[i] = -1;
                    plan.GroupedRow[i] = -1;
                    continue;
                }

                int rank = cursor[id]++;
                plan.PermutedRow[i] = offsets[id] + rank;
                plan.GroupedRow[i] = groupOffsets[id] + rank;
            }

            plan.ExpertCounts = counts;
            plan.PermutedOffsets = offsets;
            plan.PermutedRowCount = permuted;
            plan.GroupOffsets = groupOffsets;
            plan.GroupedRowCount = fixedGroupRows > 0 ? _localExperts * fixedGroupRows : grouped;
            return plan;
        }
    }
}
