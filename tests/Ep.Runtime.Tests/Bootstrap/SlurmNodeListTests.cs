using Ep.Bootstrap;
using Xunit;

namespace Ep.Runtime.Tests.Bootstrap;

/// <summary>Slurm's compressed host lists, and the first host (where rank 0 runs).</summary>
public sealed class SlurmNodeListTests
{
    [Theory]
    [InlineData("a,b", new[] { "a", "b" })]
    [InlineData("node[01-04]", new[] { "node01", "node02", "node03", "node04" })]
    [InlineData("gpu[1,3-5]", new[] { "gpu1", "gpu3", "gpu4", "gpu5" })]
    [InlineData("a[1-2],b7", new[] { "a1", "a2", "b7" })]
    [InlineData("node[08-10]", new[] { "node08", "node09", "node10" })]
    [InlineData("rack[2-3]-ib", new[] { "rack2-ib", "rack3-ib" })]
    [InlineData("single", new[] { "single" })]
    public void Expands_host_lists(string list, string[] hosts)
    {
        Assert.Equal(hosts, SlurmNodeList.Expand(list, "SLURM_JOB_NODELIST"));
        Assert.Equal(hosts[0], SlurmNodeList.FirstHost(list, "SLURM_JOB_NODELIST"));
    }

    [Theory]
    [InlineData("node[01-", "a '[' is not closed")]
    [InlineData("node]", "a ']' has no matching '['")]
    [InlineData("node[a-b]", "'a-b' is not a number or a range like 01-04")]
    [InlineData("node[4-2]", "the range '4-2' runs backwards")]
    [InlineData("a,,b", "it has an empty host name")]
    [InlineData("n[1]m[2]", "a host pattern has more than one bracket group")]
    [InlineData("n[[1]]", "brackets are nested")]
    public void Malformed_lists_are_explained(string list, string why)
    {
        var error = Assert.Throws<EpConfigurationException>(() => SlurmNodeList.Expand(list, "SLURM_NODELIST"));

        Assert.Equal($"SLURM_NODELIST: expected a Slurm host list such as 'node01,node02' or 'node[01-04]', got '{list}' ({why}).", error.Message);
    }
}
