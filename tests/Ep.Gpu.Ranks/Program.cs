using System;
using System.Linq;
using Ep;
using Ep.Engines.NcclEp;
using Ep.Engines.Staged;
using Ep.Gpu.Tests.Ranks;

// The GPU suite across processes, one per GPU:
//   ep-run -n 2 -- dotnet Ep.Gpu.Ranks.dll [--filter TEXT] [--list]
//   mpirun --allow-run-as-root -np 2 dotnet Ep.Gpu.Ranks.dll
// Each rank joins the group (EpGroup.FromEnvironment; EP_ENGINE picks the engine, auto by default), runs every case of
// RankSuite in the same order against the Reference engine's answer for its rank, prints PASS/FAIL/SKIP per case and
// "rank R: N passed, N failed, N skipped", and exits 1 when a case failed (the launcher then stops the other ranks).
if (args.Contains("--list"))
{
    foreach (RankCase c in RankSuite.Cases)
    {
        Console.WriteLine(c.Name);
    }

    return 0;
}

int filterAt = Array.IndexOf(args, "--filter");
string? filter = filterAt >= 0 && filterAt + 1 < args.Length ? args[filterAt + 1] : null;

// Every output buffer is filled with NaN before an operation writes it, so a row an exchange skips fails the comparison.
StagedLayer.PoisonOutputs = true;
NcclEpLayer.PoisonOutputs = true;

using EpGroup group = EpGroup.FromEnvironment();
Console.WriteLine($"rank {group.Rank} of {group.WorldSize} on {group.Device}: {group.EngineKind} ({group.EngineReason})");
RankSuiteResult result = RankSuite.RunAll(group, Console.Out, filter);
Console.WriteLine($"rank {group.Rank}: {result.Passed} passed, {result.Failed} failed, {result.Skipped} skipped");
return result.Failed == 0 ? 0 : 1;
