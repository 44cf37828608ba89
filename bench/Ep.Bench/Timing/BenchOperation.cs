using System.Collections.Generic;

namespace Ep.Bench.Timing;

/// <summary>What a timing row measures: one layer operation, or a span of a step.</summary>
internal enum BenchOperation
{
    /// <summary>Dispatch: tokens to the ranks that own their experts (moves the byte-formula bytes).</summary>
    Dispatch,

    /// <summary>Permute: received rows to expert-major order (local).</summary>
    Permute,

    /// <summary>Unpermute: expert outputs back to received rows (local).</summary>
    Unpermute,

    /// <summary>Combine: received rows back to their source and summed (moves the byte-formula bytes).</summary>
    Combine,

    /// <summary>CombineBackward: output gradients to every receiving rank (Dispatch's direction, same bytes).</summary>
    CombineBackward,

    /// <summary>UnpermuteBackward (local).</summary>
    UnpermuteBackward,

    /// <summary>PermuteBackward (local).</summary>
    PermuteBackward,

    /// <summary>DispatchBackward: gradients back to the source ranks (Combine's direction, same bytes).</summary>
    DispatchBackward,

    /// <summary>Dispatch through Combine, measured as one span.</summary>
    Forward,

    /// <summary>The whole forward + backward step (LL: the forward, it is inference-only), measured as one span.</summary>
    Step,
}

/// <summary>Names and byte rules of <see cref="BenchOperation"/>.</summary>
internal static class BenchOperations
{
    /// <summary>The eight operations of a training step, in call order.</summary>
    public static readonly IReadOnlyList<BenchOperation> TrainingStep =
    [
        BenchOperation.Dispatch, BenchOperation.Permute, BenchOperation.Unpermute, BenchOperation.Combine,
        BenchOperation.CombineBackward, BenchOperation.UnpermuteBackward, BenchOperation.PermuteBackward, BenchOperation.DispatchBackward,
    ];

    /// <summary>The four forward operations (all an LL layer has: NCCL EP LL is inference-only).</summary>
    public static readonly IReadOnlyList<BenchOperation> ForwardOnly =
        [BenchOperation.Dispatch, BenchOperation.Permute, BenchOperation.Unpermute, BenchOperation.Combine];

    /// <summary>The operations of one step of a layer with <paramref name="algorithm"/>.</summary>
    public static IReadOnlyList<BenchOperation> For(EpAlgorithm algorithm) =>
        algorithm == EpAlgorithm.LowLatency ? ForwardOnly : TrainingStep;

    /// <summary>Whether the operation moves rows between ranks, so the byte formula (and a GB/s figure) applies.</summary>
    public static bool MovesTokens(this BenchOperation operation) => operation is BenchOperation.Dispatch or BenchOperation.Combine
        or BenchOperation.CombineBackward or BenchOperation.DispatchBackward;

    /// <summary>The name in the table and the JSON.</summary>
    public static string Label(this BenchOperation operation) => operation switch
    {
        BenchOperation.Dispatch => "dispatch",
        BenchOperation.Permute => "permute",
        BenchOperation.Unpermute => "unpermute",
        BenchOperation.Combine => "combine",
        BenchOperation.CombineBackward => "combine-backward",
        BenchOperation.UnpermuteBackward => "unpermute-backward",
        BenchOperation.PermuteBackward => "permute-backward",
        BenchOperation.DispatchBackward => "dispatch-backward",
        BenchOperation.Forward => "forward",
        _ => "step",
    };
}
