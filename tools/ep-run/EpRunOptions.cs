using System;
using System.Collections.Generic;

namespace Ep.Tools.Run;

/// <summary>What one ep-run invocation starts.</summary>
/// <param name="Ranks">Number of processes (the world size).</param>
/// <param name="Timeout">Stop every rank and exit 124 after this long; null waits forever.</param>
/// <param name="Port">Rendezvous port; null picks a free one.</param>
/// <param name="MasterAddress">Address the ranks use to reach rank 0.</param>
/// <param name="Command">The program each rank runs.</param>
/// <param name="Arguments">Its arguments, passed through unchanged.</param>
internal sealed record EpRunOptions(int Ranks, TimeSpan? Timeout, int? Port, string MasterAddress, string Command, IReadOnlyList<string> Arguments)
{
    public const string DefaultMasterAddress = "127.0.0.1";
}
