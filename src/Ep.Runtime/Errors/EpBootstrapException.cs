using System;

namespace Ep;

/// <summary>
/// The ranks of a multi-process group could not find each other: rank 0 never heard from some peers, or a peer could not
/// reach rank 0, within the bootstrap timeout. The message names the address, port, rank, timeout and what failed last.
/// </summary>
public sealed class EpBootstrapException : Exception
{
    /// <summary>Creates the exception with the full explanation.</summary>
    public EpBootstrapException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the error that failed last.</summary>
    public EpBootstrapException(string message, Exception? lastError)
        : base(message, lastError)
    {
    }
}
