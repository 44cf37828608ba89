using Ep.Bootstrap;
using Xunit;

namespace Ep.Runtime.Tests.Bootstrap;

/// <summary>Whether a process was started as one rank of several (the sample and tools switch to one process per rank).</summary>
public sealed class LaunchedProcessTests
{
    [Theory]
    [InlineData("EP_RANK", "2", true)]
    [InlineData("OMPI_COMM_WORLD_RANK", "0", true)]
    [InlineData("SLURM_PROCID", "3", true)]
    [InlineData("EP_MASTER_PORT", "29500", false)]
    [InlineData("EP_RANK", "", false)]
    public void A_rank_variable_means_launched(string name, string value, bool launched) =>
        Assert.Equal(launched, EpLaunchEnvironment.IsLaunched(n => n == name ? value : null));
}
