using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Ep;

/// <summary>A tensor passed to a layer has the wrong shape. Thrown before any engine work.</summary>
public sealed class EpShapeException : ArgumentException
{
    /// <summary>Creates the exception for argument <paramref name="paramName"/>.</summary>
    public EpShapeException(string paramName, string what, long expected, long actual)
        : base(string.Create(CultureInfo.InvariantCulture, $"{paramName}: expected {what} {expected}, got {actual}."), paramName)
    {
        What = what;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>
    /// Creates the exception with <paramref name="reason"/>: the limit the expected value protects, e.g. the NCCL EP
    /// assertion a wrong shape would trip.
    /// </summary>
    public EpShapeException(string paramName, string what, long expected, long actual, string reason)
        : base(string.Create(CultureInfo.InvariantCulture, $"{paramName}: expected {what} {expected}, got {actual}; {reason}."), paramName)
    {
        What = what;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The quantity that is wrong, e.g. "columns (HiddenSize)".</summary>
    public string What { get; }
    /// <summary>The value required.</summary>
    public long Expected { get; }
    /// <summary>The value passed.</summary>
    public long Actual { get; }
}

/// <summary>A routing id is outside [-1, Experts), or a row names the same expert twice.</summary>
public sealed class EpRoutingException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public EpRoutingException(string message, int rank, int token, int slot, long value)
        : base(message, "topkIdx")
    {
        Rank = rank;
        Token = token;
        Slot = slot;
        Value = value;
    }

    /// <summary>Rank whose input is wrong.</summary>
    public int Rank { get; }
    /// <summary>Token (row of topkIdx).</summary>
    public int Token { get; }
    /// <summary>Top-k slot (column of topkIdx).</summary>
    public int Slot { get; }
    /// <summary>The offending expert id.</summary>
    public long Value { get; }
}

/// <summary>A dispatch would receive more rows than a rank's capacity. Thrown on every rank before anything is written.</summary>
public sealed class EpCapacityException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public EpCapacityException(int rank, long neededRows, long availableRows, string capacityName)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Rank {rank} would receive {neededRows} rows but its {capacityName} is {availableRows}; raise {capacityName} or send fewer tokens. Nothing was written."))
    {
        Rank = rank;
        NeededRows = neededRows;
        AvailableRows = availableRows;
    }

    /// <summary>The rank that overflows.</summary>
    public int Rank { get; }
    /// <summary>Rows the step needs on that rank.</summary>
    public long NeededRows { get; }
    /// <summary>Rows available.</summary>
    public long AvailableRows { get; }
}

/// <summary>A layer method was called out of order (e.g. Combine before Dispatch), or with a result of another step.</summary>
public sealed class EpStateException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public EpStateException(string message)
        : base(message)
    {
    }
}

/// <summary>A layer's declaration breaks the rules for the group it is used with (the same rules as the compile-time diagnostics).</summary>
public sealed class EpConfigurationException : InvalidOperationException
{
    /// <summary>Creates the exception from the broken rules.</summary>
    public EpConfigurationException(string layerName, IReadOnlyList<EpRuleViolation> violations)
        : base($"Layer '{layerName}' cannot run: " + string.Join(" ", violations.Select(v => v.ToString() + ".")))
    {
        Violations = violations;
    }

    /// <summary>Creates the exception with a plain message.</summary>
    public EpConfigurationException(string message)
        : base(message)
    {
        Violations = Array.Empty<EpRuleViolation>();
    }

    /// <summary>The rules broken (empty for other configuration problems).</summary>
    public IReadOnlyList<EpRuleViolation> Violations { get; }
}

/// <summary>A collective operation could not finish because another rank failed first.</summary>
public sealed class EpPeerFailedException : Exception
{
    /// <summary>Creates the exception naming the failed rank.</summary>
    public EpPeerFailedException(int failedRank, string operation, Exception? peerError)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"{operation} stopped because rank {failedRank} failed: {peerError?.Message ?? "it left the group"}"), peerError)
    {
        FailedRank = failedRank;
    }

    /// <summary>The rank that failed.</summary>
    public int FailedRank { get; }
}
