using System;

namespace Ep.Engines.Staged;

/// <summary>
/// Tells errors every rank throws together (after a collective that completed everywhere, before anything is written:
/// routing and capacity errors, DispatchBackward's disagreement) from errors of one rank alone. Only the latter can
/// leave a peer waiting for this rank, so only they make a process-world transport abort on disposal.
/// </summary>
internal static class StagedAgreedErrors
{
    private const string Key = "Ep.Staged.AgreedByEveryRank";

    /// <summary>Marks <paramref name="error"/> as thrown identically by every rank; returns it for <c>throw</c>.</summary>
    public static TException Mark<TException>(TException error)
        where TException : Exception
    {
        error.Data[Key] = true;
        return error;
    }

    /// <summary>Whether every rank threw <paramref name="error"/> together, with no communication left half-done.</summary>
    public static bool IsAgreed(Exception error) =>
        error is EpRoutingException or EpCapacityException || error.Data[Key] is true;
}
