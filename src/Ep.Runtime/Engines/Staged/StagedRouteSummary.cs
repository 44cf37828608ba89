namespace Ep.Engines.Staged;

/// <summary>
/// What one rank learned from its routing before anything moved, shared with every peer by AllGather so that all ranks
/// make the same decision (throw, or go on) and know every segment's size.
/// </summary>
/// <param name="Error">The rank's lowest bad routing entry, or null.</param>
/// <param name="RowsTo">[R] rows this rank sends to each rank (tokens with an expert there).</param>
/// <param name="PairsTo">[R] (token, expert) pairs this rank sends to each rank.</param>
/// <param name="ExpertCounts">[E] tokens of this rank routed to each global expert.</param>
/// <param name="MatchesHeldRouting">Whether the rank's ids equal the ones its NcclEp HighThroughput handle holds (false when it holds none).</param>
/// <remarks>
/// The NcclEp engine refills one set of summaries in place every Dispatch (<see cref="StagedRouteRecord.ReadInto"/>),
/// so that a steady-state Dispatch allocates nothing; hence the settable error and held-routing flag.
/// </remarks>
internal sealed record StagedRouteSummary(StagedRoutingError? Error, int[] RowsTo, int[] PairsTo, int[] ExpertCounts, bool MatchesHeldRouting = false)
{
    public StagedRoutingError? Error { get; set; } = Error;

    public bool MatchesHeldRouting { get; set; } = MatchesHeldRouting;

    /// <summary>A summary to refill: zero counts for <paramref name="ranks"/> ranks and <paramref name="experts"/> experts, no error.</summary>
    public static StagedRouteSummary Empty(int ranks, int experts) => new(null, new int[ranks], new int[ranks], new int[experts]);
}

/// <summary>A bad routing entry read back from the device's error record.</summary>
/// <param name="Token">Row of topkIdx.</param>
/// <param name="Slot">Column of topkIdx (for a repeated expert, the second occurrence).</param>
/// <param name="Value">The id found there.</param>
/// <param name="FirstSlot">For a repeated expert, the slot that named it first; −1 for an id out of range.</param>
internal sealed record StagedRoutingError(int Token, int Slot, long Value, int FirstSlot)
{
    /// <summary>The exception every rank throws for this error on <paramref name="rank"/>; <paramref name="after"/> says what happened to the step.</summary>
    public EpRoutingException ToException(int rank, int experts, string after = RoutingErrorMessage.NothingSent) =>
        RoutingErrorMessage.Exception(rank, Token, Slot, Value, FirstSlot, experts, after);
}
