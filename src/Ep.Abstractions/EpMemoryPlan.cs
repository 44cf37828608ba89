using System;
using System.Collections.Generic;
using System.Globalization;

namespace Ep;

/// <summary>
/// Worst-case device memory that one rank needs for a layer at a given rank count: the receive buffers Dispatch writes
/// (tokens, routing weights, routing indices), computed by <see cref="EpMemoryPlanner"/> and checked against
/// <c>MemoryBudgetGiB</c> by warning EP0013; and, in the plan the generated <c>PlanMemory</c> returns (the runtime's
/// <c>EpLayerMemory.Plan</c>), each GPU engine's whole footprint for one layer instance.
/// </summary>
public sealed record EpMemoryPlan
{
    /// <summary>Rank count the plan is for.</summary>
    public int Ranks { get; init; }
    /// <summary>Experts per rank.</summary>
    public int LocalExperts { get; init; }
    /// <summary>Layout the plan is for.</summary>
    public EpLayout Layout { get; init; }
    /// <summary>Kernel family the plan is for: LowLatency sizes its expert-major buffer differently from HighThroughput.</summary>
    public EpAlgorithm Algorithm { get; init; }
    /// <summary>Flat receive capacity: (source rank, token) rows.</summary>
    public long RecvCapacityRows { get; init; }
    /// <summary>
    /// Rows of the layout's receive buffer: Flat, the capacity; HighThroughput ExpertMajor, the capacity × min(K, L)
    /// plus padding; LowLatency, L × R × MaxTokensPerRank (NCCL EP LL's fixed [L, R·MaxTokensPerRank, H] output).
    /// </summary>
    public long ReceiveRows { get; init; }
    /// <summary>Bytes of received token rows (rows × H × 2).</summary>
    public long TokenBytes { get; init; }
    /// <summary>Bytes of received routing weights (fp32; Flat: K per row, ExpertMajor and LowLatency: one per row).</summary>
    public long WeightBytes { get; init; }
    /// <summary>Bytes of routing indices (Flat: K int64 local expert ids per row; ExpertMajor and LowLatency: one int64 source slot per row).</summary>
    public long IndexBytes { get; init; }

    /// <summary>
    /// Every byte the Staged engine allocates per rank for one layer instance (receive, permute, backward and staging
    /// buffers, all at the worst case); null in a receive-only plan (<see cref="EpMemoryPlanner"/>, the compiler's).
    /// </summary>
    public long? StagedEngineBytes { get; init; }

    /// <summary>
    /// Every byte the NcclEp engine holds per rank for one layer instance: Ep's buffers plus NCCL EP's group and handle
    /// memory; null in a receive-only plan.
    /// </summary>
    public long? NcclEpEngineBytes { get; init; }

    /// <summary>All receive bytes.</summary>
    public long TotalBytes => TokenBytes + WeightBytes + IndexBytes;

    /// <summary>All receive bytes in GiB.</summary>
    public double TotalGiB => TotalBytes / (1024.0 * 1024.0 * 1024.0);

    /// <summary>One line for logs and reports.</summary>
    public override string ToString() => string.Format(
        CultureInfo.InvariantCulture,
        "{8} {0} layout, {1} ranks, {2} local experts: {3:N0} rows, {4} per rank (tokens {5}, weights {6}, indices {7}){9}",
        Layout, Ranks, LocalExperts, ReceiveRows, Readable(TotalBytes), Readable(TokenBytes), Readable(WeightBytes), Readable(IndexBytes), Algorithm,
        EnginesText());

    private string EnginesText()
    {
        var engines = new List<string>(2);
        if (StagedEngineBytes is { } staged)
        {
            engines.Add("Staged " + Readable(staged));
        }

        if (NcclEpEngineBytes is { } ncclEp)
        {
            engines.Add("NcclEp " + Readable(ncclEp));
        }

        return engines.Count == 0 ? "" : "; whole engine per rank: " + string.Join(", ", engines);
    }

    /// <summary>Bytes in the largest binary unit that keeps at least one whole unit, e.g. "1.50 GiB" or "48.0 KiB".</summary>
    public static string Readable(long bytes)
    {
        const double KiB = 1024.0, MiB = KiB * 1024, GiB = MiB * 1024;
        return bytes >= GiB ? (bytes / GiB).ToString("F2", CultureInfo.InvariantCulture) + " GiB"
            : bytes >= MiB ? (bytes / MiB).ToString("F2", CultureInfo.InvariantCulture) + " MiB"
            : bytes >= KiB ? (bytes / KiB).ToString("F1", CultureInfo.InvariantCulture) + " KiB"
            : bytes.ToString(CultureInfo.InvariantCulture) + " B";
    }
}

/// <summary>Computes <see cref="EpMemoryPlan"/>s; the one formula the generator, the runtime and the tools share.</summary>
public static class EpMemoryPlanner
{
    private const int PayloadBytes = 2; // bf16, the only payload NCCL EP moves.

    /// <summary>Plans <paramref name="spec"/>'s own layout at <paramref name="ranks"/> ranks.</summary>
    public static EpMemoryPlan Plan(EpLayerSpec spec, int ranks) => Plan(spec, ranks, spec.Layout);

    /// <summary>
    /// Plans <paramref name="spec"/> as if it used <paramref name="layout"/>, to compare layouts. A LowLatency spec
    /// planned as ExpertMajor gets LowLatency's L × R × MaxTokensPerRank rows; any spec planned as Flat gets the
    /// Flat capacity (LowLatency has no Flat layout, so that plan is the HighThroughput alternative's).
    /// </summary>
    public static EpMemoryPlan Plan(EpLayerSpec spec, int ranks, EpLayout layout)
    {
        if (spec is null)
        {
            throw new ArgumentNullException(nameof(spec));
        }

        if (ranks <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ranks), ranks, $"ranks must be positive; got {ranks}.");
        }

        long capacity = spec.RecvCapacity(ranks);
        bool flat = layout == EpLayout.Flat;
        bool lowLatency = !flat && spec.Algorithm == EpAlgorithm.LowLatency;
        long rows = flat ? capacity : lowLatency ? spec.LowLatencyCapacity(ranks) : spec.ExpertMajorCapacity(ranks);
        return new EpMemoryPlan
        {
            Ranks = ranks,
            LocalExperts = spec.LocalExperts(ranks),
            Layout = layout,
            Algorithm = lowLatency ? EpAlgorithm.LowLatency : EpAlgorithm.HighThroughput,
            RecvCapacityRows = capacity,
            ReceiveRows = rows,
            TokenBytes = rows * spec.HiddenSize * PayloadBytes,
            WeightBytes = rows * (flat ? spec.TopK : 1) * sizeof(float),
            IndexBytes = rows * (flat ? spec.TopK : 1) * sizeof(long),
        };
    }
}
