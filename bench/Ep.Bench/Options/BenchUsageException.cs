using System;

namespace Ep.Bench.Options;

/// <summary>The command line is wrong; the program prints the message and the usage, and exits 2.</summary>
internal sealed class BenchUsageException : Exception
{
    /// <summary>Creates the error with the text shown to the user.</summary>
    public BenchUsageException(string message)
        : base(message)
    {
    }
}
