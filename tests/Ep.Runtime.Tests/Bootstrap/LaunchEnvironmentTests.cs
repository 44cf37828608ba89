using Ep.Bootstrap;
using Xunit;

namespace Ep.Runtime.Tests.Bootstrap;

/// <summary>Each launcher's variables, their priority, and the defaults (docs/bootstrap.md).</summary>
public sealed class LaunchEnvironmentTests
{
    private static EpLaunchEnvironment Parse(params string[] variables) => EpLaunchEnvironment.Parse(LaunchVariables.Of(variables));

    [Fact]
    public void No_variables_is_a_single_process()
    {
        EpLaunchEnvironment launch = Parse();

        Assert.Equal(EpLauncherKind.None, launch.Launcher);
        Assert.Equal((0, 1, 0, 1), (launch.Rank, launch.WorldSize, launch.LocalRank, launch.LocalWorldSize));
        Assert.Equal(("127.0.0.1", 29500), (launch.MasterAddress, launch.MasterPort));
        Assert.Equal("default: single process", launch.RankSource);
        Assert.True(launch.IsMaster);
    }

    [Fact]
    public void Ep_variables_give_every_value()
    {
        EpLaunchEnvironment launch = Parse("EP_RANK=2", "EP_WORLD_SIZE=4", "EP_LOCAL_RANK=0", "EP_LOCAL_WORLD_SIZE=2",
            "EP_MASTER_ADDR=10.0.0.1", "EP_MASTER_PORT=1234");

        Assert.Equal(EpLauncherKind.Ep, launch.Launcher);
        Assert.Equal((2, 4, 0, 2), (launch.Rank, launch.WorldSize, launch.LocalRank, launch.LocalWorldSize));
        Assert.Equal(("10.0.0.1", 1234), (launch.MasterAddress, launch.MasterPort));
        Assert.Equal(("EP_RANK", "EP_WORLD_SIZE", "EP_LOCAL_RANK", "EP_LOCAL_WORLD_SIZE", "EP_MASTER_ADDR", "EP_MASTER_PORT"),
            (launch.RankSource, launch.WorldSizeSource, launch.LocalRankSource, launch.LocalWorldSizeSource, launch.MasterAddressSource, launch.MasterPortSource));
        Assert.False(launch.IsMaster);
    }

    [Fact]
    public void Ep_rank_alone_means_one_node_on_loopback()
    {
        EpLaunchEnvironment launch = Parse("EP_RANK=3", "EP_WORLD_SIZE=4");

        Assert.Equal((3, 4), (launch.LocalRank, launch.LocalWorldSize));
        Assert.Equal("127.0.0.1", launch.MasterAddress);
        Assert.StartsWith("default", launch.LocalRankSource, System.StringComparison.Ordinal);
        Assert.StartsWith("default", launch.MasterAddressSource, System.StringComparison.Ordinal);
    }

    [Fact]
    public void OpenMpi_variables_are_read()
    {
        EpLaunchEnvironment launch = Parse("OMPI_COMM_WORLD_RANK=5", "OMPI_COMM_WORLD_SIZE=8", "OMPI_COMM_WORLD_LOCAL_RANK=1",
            "OMPI_COMM_WORLD_LOCAL_SIZE=4", "MASTER_ADDR=head", "MASTER_PORT=6000");

        Assert.Equal(EpLauncherKind.OpenMpi, launch.Launcher);
        Assert.Equal((5, 8, 1, 4), (launch.Rank, launch.WorldSize, launch.LocalRank, launch.LocalWorldSize));
        Assert.Equal(("head", 6000), (launch.MasterAddress, launch.MasterPort));
        Assert.Equal(("OMPI_COMM_WORLD_RANK", "MASTER_ADDR", "MASTER_PORT"), (launch.RankSource, launch.MasterAddressSource, launch.MasterPortSource));
    }

    [Fact]
    public void OpenMpi_on_one_node_needs_no_master_address()
    {
        EpLaunchEnvironment launch = Parse("OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=2", "OMPI_COMM_WORLD_LOCAL_RANK=1", "OMPI_COMM_WORLD_LOCAL_SIZE=2");

        Assert.Equal("127.0.0.1", launch.MasterAddress);
    }

    [Fact]
    public void Slurm_master_is_the_first_node_and_port_follows_the_job_id()
    {
        EpLaunchEnvironment launch = Parse("SLURM_PROCID=5", "SLURM_NTASKS=8", "SLURM_LOCALID=1", "SLURM_NTASKS_PER_NODE=4",
            "SLURM_JOB_NODELIST=gpu[07-08]", "SLURM_LAUNCH_NODE_IPADDR=10.9.9.9", "SLURM_JOB_ID=123456");

        Assert.Equal(EpLauncherKind.Slurm, launch.Launcher);
        Assert.Equal((5, 8, 1, 4), (launch.Rank, launch.WorldSize, launch.LocalRank, launch.LocalWorldSize));
        Assert.Equal(("gpu07", "first host of SLURM_JOB_NODELIST"), (launch.MasterAddress, launch.MasterAddressSource));
        Assert.Equal(23456, launch.MasterPort);
    }

    [Fact]
    public void Slurm_step_node_list_comes_before_the_job_node_list()
    {
        EpLaunchEnvironment launch = Parse("SLURM_PROCID=0", "SLURM_NTASKS=4", "SLURM_LOCALID=0", "SLURM_NTASKS_PER_NODE=2",
            "SLURM_NODELIST=b1,b2", "SLURM_JOB_NODELIST=a[1-4]");

        Assert.Equal("b1", launch.MasterAddress);
        Assert.Equal(29500, launch.MasterPort);
    }

    [Fact]
    public void Slurm_without_a_node_list_uses_the_launch_node_address()
    {
        EpLaunchEnvironment launch = Parse("SLURM_PROCID=0", "SLURM_NTASKS=4", "SLURM_LOCALID=0", "SLURM_NTASKS_PER_NODE=2",
            "SLURM_LAUNCH_NODE_IPADDR=10.1.2.3");

        Assert.Equal(("10.1.2.3", "SLURM_LAUNCH_NODE_IPADDR"), (launch.MasterAddress, launch.MasterAddressSource));
    }

    [Fact]
    public void Slurm_tasks_per_node_list_is_read_for_this_node()
    {
        EpLaunchEnvironment launch = Parse("SLURM_PROCID=6", "SLURM_NTASKS=7", "SLURM_LOCALID=0", "SLURM_TASKS_PER_NODE=2(x3),1",
            "SLURM_NODEID=3", "SLURM_NODELIST=n[1-4]");

        Assert.Equal((1, "SLURM_TASKS_PER_NODE"), (launch.LocalWorldSize, launch.LocalWorldSizeSource));
        Assert.Equal(2, SlurmTasksPerNode.ForNode("2(x3),1", 2, "SLURM_TASKS_PER_NODE"));
        Assert.Equal(4, SlurmTasksPerNode.ForNode("4", 0, "SLURM_TASKS_PER_NODE"));
    }

    [Fact]
    public void Ep_variables_win_over_OpenMpi_and_Slurm()
    {
        EpLaunchEnvironment launch = Parse("EP_RANK=1", "EP_WORLD_SIZE=2", "OMPI_COMM_WORLD_RANK=7", "OMPI_COMM_WORLD_SIZE=8",
            "SLURM_PROCID=3", "SLURM_NTASKS=4");

        Assert.Equal((EpLauncherKind.Ep, 1, 2), (launch.Launcher, launch.Rank, launch.WorldSize));
    }

    [Fact]
    public void OpenMpi_wins_over_Slurm()
    {
        EpLaunchEnvironment launch = Parse("OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=2", "OMPI_COMM_WORLD_LOCAL_RANK=1",
            "OMPI_COMM_WORLD_LOCAL_SIZE=2", "SLURM_PROCID=3", "SLURM_NTASKS=4");

        Assert.Equal((EpLauncherKind.OpenMpi, 1), (launch.Launcher, launch.Rank));
    }

    [Fact]
    public void Ep_master_variables_win_over_torchrun_names_and_slurm_hosts()
    {
        EpLaunchEnvironment launch = Parse("SLURM_PROCID=0", "SLURM_NTASKS=2", "SLURM_LOCALID=0", "SLURM_NTASKS_PER_NODE=1",
            "SLURM_NODELIST=n[1-2]", "MASTER_ADDR=torch-head", "MASTER_PORT=7000", "EP_MASTER_ADDR=ep-head", "EP_MASTER_PORT=8000");

        Assert.Equal(("ep-head", 8000), (launch.MasterAddress, launch.MasterPort));
    }

    [Fact]
    public void Blank_values_count_as_unset()
    {
        EpLaunchEnvironment launch = Parse("EP_RANK=1", "EP_WORLD_SIZE=2", "EP_MASTER_ADDR= ", "MASTER_ADDR=head");

        Assert.Equal("head", launch.MasterAddress);
    }

    [Fact]
    public void Describe_names_every_source()
    {
        string text = Parse("EP_RANK=1", "EP_WORLD_SIZE=2", "EP_MASTER_PORT=1234").Describe();

        Assert.Equal("rank 1 of 2 (EP_RANK, EP_WORLD_SIZE), local rank 1 of 2 (default: EP_RANK mod local world size, default: EP_WORLD_SIZE (one node)), master 127.0.0.1:1234 (default: every rank on this node, EP_MASTER_PORT)", text);
    }
}
