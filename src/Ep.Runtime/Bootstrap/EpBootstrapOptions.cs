using System;

namespace Ep.Bootstrap;

/// <summary>Settings for <see cref="EpGroup.FromEnvironment(EpBootstrapOptions)"/>; every one has a default.</summary>
public sealed class EpBootstrapOptions
{
    /// <summary>
    /// How long rank 0 waits for every peer, and each peer for rank 0. Null: <c>EP_BOOTSTRAP_TIMEOUT_S</c> when set,
    /// else 120 seconds. A value given here wins over the variable.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Where launch variables are read from (name → value, null when unset). Null: this process's environment.</summary>
    public Func<string, string?>? Environment { get; init; }
}
