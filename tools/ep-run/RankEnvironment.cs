using System.Collections.Generic;
using System.Globalization;
using Ep.Bootstrap;

namespace Ep.Tools.Run;

/// <summary>The variables that place one rank; everything else (CUDA_VISIBLE_DEVICES included) is inherited as it is.</summary>
internal static class RankEnvironment
{
    public static IReadOnlyDictionary<string, string> For(int rank, int ranks, string masterAddress, int masterPort)
    {
        // ep-run starts every rank on this machine, so local rank and world equal the global ones.
        return new Dictionary<string, string>
        {
            [EpLaunchVariables.Rank] = Text(rank),
            [EpLaunchVariables.WorldSize] = Text(ranks),
            [EpLaunchVariables.LocalRank] = Text(rank),
            [EpLaunchVariables.LocalWorldSize] = Text(ranks),
            [EpLaunchVariables.MasterAddress] = masterAddress,
            [EpLaunchVariables.MasterPort] = Text(masterPort),
        };
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
