using System;
using Ep.Bootstrap;
using Xunit;

namespace Ep.Runtime.Tests.Bootstrap;

/// <summary>Every missing or malformed launch value fails with the variable, the form expected and the value found.</summary>
public sealed class MalformedLaunchTests
{
    public static TheoryData<string[], string> Cases => new()
    {
        { ["EP_RANK=abc", "EP_WORLD_SIZE=4"], "EP_RANK: expected an integer rank in [0, EP_WORLD_SIZE=4), got 'abc'." },
        { ["EP_RANK=4", "EP_WORLD_SIZE=4"], "EP_RANK: expected an integer rank in [0, EP_WORLD_SIZE=4), got '4'." },
        { ["EP_RANK=-1", "EP_WORLD_SIZE=4"], "EP_RANK: expected an integer rank in [0, EP_WORLD_SIZE=4), got '-1'." },
        { ["EP_RANK=0"], "EP_WORLD_SIZE: expected a positive integer (the number of processes), got nothing (it is not set)." },
        { ["EP_RANK=0", "EP_WORLD_SIZE=0"], "EP_WORLD_SIZE: expected a positive integer (the number of processes), got '0'." },
        { ["EP_RANK=0", "EP_WORLD_SIZE=two"], "EP_WORLD_SIZE: expected a positive integer (the number of processes), got 'two'." },
        { ["EP_WORLD_SIZE=4"], "EP_RANK: expected an integer rank in [0, EP_WORLD_SIZE) because EP_WORLD_SIZE is set, got nothing (it is not set)." },
        { ["EP_RANK=1", "EP_WORLD_SIZE=4", "EP_LOCAL_WORLD_SIZE=2", "EP_LOCAL_RANK=2", "EP_MASTER_ADDR=h"], "EP_LOCAL_RANK: expected an integer local rank in [0, the local world size=2), got '2'." },
        { ["EP_RANK=1", "EP_WORLD_SIZE=4", "EP_LOCAL_WORLD_SIZE=5"], "EP_LOCAL_WORLD_SIZE: expected a positive integer at most EP_WORLD_SIZE=4, got '5'." },
        { ["EP_RANK=1", "EP_WORLD_SIZE=4", "EP_LOCAL_WORLD_SIZE=2"], "EP_MASTER_ADDR: expected the host name or IP address of rank 0, because the 4 ranks span several nodes (2 on this one), got nothing (it is not set)." },
        { ["EP_RANK=1", "EP_WORLD_SIZE=2", "EP_MASTER_ADDR=my host"], "EP_MASTER_ADDR: expected a host name or IP address, got 'my host'." },
        { ["EP_RANK=1", "EP_WORLD_SIZE=2", "EP_MASTER_PORT=70000"], "EP_MASTER_PORT: expected a TCP port in [1, 65535], got '70000'." },
        { ["EP_RANK=1", "EP_WORLD_SIZE=2", "EP_MASTER_PORT=0"], "EP_MASTER_PORT: expected a TCP port in [1, 65535], got '0'." },
        { ["EP_RANK=1", "EP_WORLD_SIZE=2", "MASTER_PORT=http"], "MASTER_PORT: expected a TCP port in [1, 65535], got 'http'." },
        { ["OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=2", "OMPI_COMM_WORLD_LOCAL_SIZE=2"], "OMPI_COMM_WORLD_LOCAL_RANK: expected an integer local rank in [0, OMPI_COMM_WORLD_LOCAL_SIZE=2), got nothing (it is not set)." },
        { ["OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=x"], "OMPI_COMM_WORLD_SIZE: expected a positive integer (the number of processes), got 'x'." },
        { ["OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=8", "OMPI_COMM_WORLD_LOCAL_RANK=1", "OMPI_COMM_WORLD_LOCAL_SIZE=4"], "EP_MASTER_ADDR: expected the host name or IP address of rank 0, because the 8 ranks span several nodes (4 on this one), got nothing (it is not set)." },
        { ["SLURM_PROCID=0", "SLURM_NTASKS=2", "SLURM_LOCALID=0"], "SLURM_NTASKS_PER_NODE: expected a positive integer (tasks on this node), or SLURM_TASKS_PER_NODE such as '4(x2)', got nothing (it is not set)." },
        { ["SLURM_PROCID=0", "SLURM_NTASKS=4", "SLURM_LOCALID=0", "SLURM_TASKS_PER_NODE=2(2)"], "SLURM_TASKS_PER_NODE: expected a Slurm task list such as '4', '4(x2)' or '2(x3),1', got '2(2)'." },
        { ["SLURM_PROCID=0", "SLURM_NTASKS=4", "SLURM_LOCALID=0", "SLURM_TASKS_PER_NODE=2", "SLURM_NODEID=1"], "SLURM_TASKS_PER_NODE: expected a Slurm task list such as '4', '4(x2)' or '2(x3),1' with an entry for node 1 (SLURM_NODEID), got '2'." },
        { ["SLURM_PROCID=9", "SLURM_NTASKS=4"], "SLURM_PROCID: expected an integer rank in [0, SLURM_NTASKS=4), got '9'." },
        { ["SLURM_PROCID=0", "SLURM_NTASKS=4", "SLURM_LOCALID=0", "SLURM_NTASKS_PER_NODE=2", "SLURM_JOB_NODELIST=node[01-"], "SLURM_JOB_NODELIST: expected a Slurm host list such as 'node01,node02' or 'node[01-04]', got 'node[01-' (a '[' is not closed)." },
        { ["SLURM_PROCID=0", "SLURM_NTASKS=4", "SLURM_LOCALID=0", "SLURM_NTASKS_PER_NODE=2", "SLURM_NODELIST=n1", "SLURM_JOB_ID=abc"], "SLURM_JOB_ID: expected a non-negative integer (the job id), got 'abc'." },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Message_names_variable_form_and_value(string[] variables, string message)
    {
        var error = Assert.Throws<EpConfigurationException>(() => EpLaunchEnvironment.Parse(LaunchVariables.Of(variables)));

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("0", "'0'")]
    [InlineData("soon", "'soon'")]
    [InlineData("-5", "'-5'")]
    public void Bootstrap_timeout_must_be_positive_seconds(string value, string shown)
    {
        var error = Assert.Throws<EpConfigurationException>(() =>
            UniqueIdRendezvous.ResolveTimeout(null, LaunchVariables.Of("EP_BOOTSTRAP_TIMEOUT_S=" + value)));

        Assert.Equal($"EP_BOOTSTRAP_TIMEOUT_S: expected a positive number of seconds, at most 86400 (e.g. 300), got {shown}.", error.Message);
    }

    [Fact]
    public void Bootstrap_timeout_defaults_to_120_s_and_an_explicit_value_wins()
    {
        Assert.Equal(TimeSpan.FromSeconds(120), UniqueIdRendezvous.ResolveTimeout(null, LaunchVariables.Of()));
        Assert.Equal(TimeSpan.FromSeconds(2.5), UniqueIdRendezvous.ResolveTimeout(null, LaunchVariables.Of("EP_BOOTSTRAP_TIMEOUT_S=2.5")));
        Assert.Equal(TimeSpan.FromSeconds(7), UniqueIdRendezvous.ResolveTimeout(TimeSpan.FromSeconds(7), LaunchVariables.Of("EP_BOOTSTRAP_TIMEOUT_S=2.5")));
    }
}
