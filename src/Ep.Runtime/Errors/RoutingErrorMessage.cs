using System.Globalization;

namespace Ep;

/// <summary>
/// The one text of a routing error, whichever engine found it (the Reference engine on the host, the GPU engines from
/// their device record), so that the same bad input reads the same everywhere.
/// </summary>
internal static class RoutingErrorMessage
{
    /// <summary>What an eager Dispatch adds: it threw before any row moved.</summary>
    public const string NothingSent = " Nothing was sent.";

    /// <summary>
    /// The exception for topkIdx[<paramref name="token"/>, <paramref name="slot"/>] = <paramref name="value"/> on
    /// <paramref name="rank"/>: outside [-1, <paramref name="experts"/>) when <paramref name="firstSlot"/> is negative,
    /// else a repeat of slot <paramref name="firstSlot"/>'s expert. <paramref name="after"/> says what happened to the step.
    /// </summary>
    public static EpRoutingException Exception(int rank, int token, int slot, long value, int firstSlot, int experts, string after)
    {
        string message = firstSlot < 0
            ? string.Create(CultureInfo.InvariantCulture,
                $"Rank {rank}: topkIdx[{token}, {slot}] = {value} is outside [-1, {experts}); use -1 for an unused slot.{after}")
            : string.Create(CultureInfo.InvariantCulture,
                $"Rank {rank}: topkIdx[{token}, {slot}] = {value} names the expert that slot {firstSlot} of the same row already names; a token may pick each expert once.{after}");
        return new EpRoutingException(message, rank, token, slot, value);
    }
}
