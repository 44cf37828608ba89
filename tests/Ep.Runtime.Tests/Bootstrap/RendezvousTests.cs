using System;
using System.Linq;
using System.Threading.Tasks;
using Ep.Bootstrap;
using Xunit;

namespace Ep.Runtime.Tests.Bootstrap;

/// <summary>The unique-id rendezvous over loopback, ranks as tasks of this process: success, refusals, timeouts.</summary>
public sealed class RendezvousTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private static EpLaunchEnvironment Rank(int rank, int worldSize, int port) => EpLaunchEnvironment.Parse(LaunchVariables.Of(
        $"EP_RANK={rank}", $"EP_WORLD_SIZE={worldSize}", "EP_MASTER_ADDR=127.0.0.1", $"EP_MASTER_PORT={port}"));

    private static byte[] NewId() => Enumerable.Range(0, UniqueIdRendezvous.IdBytes).Select(i => (byte)(i * 7 + 3)).ToArray();

    private static Task<byte[]> Join(int rank, int worldSize, int port, byte[]? id, TimeSpan timeout) =>
        Task.Run(() => UniqueIdRendezvous.Exchange(Rank(rank, worldSize, port), id, timeout, TestContext.Current.CancellationToken));

    [Fact]
    public async Task Every_peer_gets_rank_zeros_bytes_even_when_peers_start_first()
    {
        int port = FreePort.Next();
        byte[] id = NewId();
        Task<byte[]>[] peers = Enumerable.Range(1, 3).Select(r => Join(r, 4, port, null, Generous)).ToArray();
        await Task.Delay(200, TestContext.Current.CancellationToken); // the peers are retrying against a closed port now

        byte[] served = await Join(0, 4, port, id, Generous);

        Assert.Equal(id, served);
        foreach (Task<byte[]> peer in peers)
        {
            Assert.Equal(id, await peer);
        }
    }

    [Fact]
    public async Task Rank_zero_timeout_names_the_ranks_that_never_joined()
    {
        int port = FreePort.Next();
        Task<byte[]> master = Join(0, 4, port, NewId(), TimeSpan.FromSeconds(1.5));
        await Join(2, 4, port, null, Generous);

        var error = await Assert.ThrowsAsync<EpBootstrapException>(() => master);

        Assert.Contains($"Rank 0 waited 1.5 s on port {port} for the 3 other rank(s) of a world of 4; rank(s) 1, 3 never joined (1 did).", error.Message, StringComparison.Ordinal);
        Assert.Contains("EP_BOOTSTRAP_TIMEOUT_S", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Peer_timeout_names_address_port_rank_timeout_and_socket_error()
    {
        int port = FreePort.Next(); // nobody listens there

        var error = await Assert.ThrowsAsync<EpBootstrapException>(() => Join(1, 2, port, null, TimeSpan.FromSeconds(1)));

        Assert.StartsWith($"Rank 1 of 2 could not get the NCCL unique id from rank 0 at 127.0.0.1:{port} within 1 s (", error.Message, StringComparison.Ordinal);
        Assert.Contains("last socket error: ConnectionRefused", error.Message, StringComparison.Ordinal);
        Assert.Contains("EP_MASTER_ADDR/EP_MASTER_PORT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duplicate_rank_is_refused_and_does_not_count()
    {
        int port = FreePort.Next();
        byte[] id = NewId();
        Task<byte[]> master = Join(0, 3, port, id, Generous);
        Assert.Equal(id, await Join(1, 3, port, null, Generous));

        var duplicate = await Assert.ThrowsAsync<EpBootstrapException>(() => Join(1, 3, port, null, Generous));
        Assert.Equal($"Rank 1 of 3: rank 0 at 127.0.0.1:{port} refused to give it the NCCL unique id: rank 1 has already joined: two processes were given the same rank. Check the launch's rank variables.", duplicate.Message);

        Assert.Equal(id, await Join(2, 3, port, null, Generous));
        Assert.Equal(id, await master);
    }

    [Fact]
    public async Task Out_of_range_rank_and_other_world_size_are_refused()
    {
        int port = FreePort.Next();
        Task<byte[]> master = Join(0, 2, port, NewId(), Generous);

        // A peer of a world of 5 claiming rank 4 disagrees with rank 0 on the world size first.
        var otherWorld = await Assert.ThrowsAsync<EpBootstrapException>(() => Join(4, 5, port, null, Generous));
        Assert.Contains("rank 4 was launched with a world size of 5, but rank 0 has 2", otherWorld.Message, StringComparison.Ordinal);

        var outOfRange = await Assert.ThrowsAsync<EpBootstrapException>(() =>
            Task.Run(() => new Ep.Bootstrap.Rendezvous.UniqueIdClient("127.0.0.1", port, 7, 2, Generous)
                .FetchAsync(UniqueIdRendezvous.IdBytes, TestContext.Current.CancellationToken)));
        Assert.Contains("rank 7 is out of range: peers are ranks 1 to 1", outOfRange.Message, StringComparison.Ordinal);

        await Join(1, 2, port, null, Generous);
        await master;
    }

    [Fact]
    public void A_world_of_one_needs_no_socket()
    {
        byte[] id = NewId();

        Assert.Same(id, UniqueIdRendezvous.Exchange(Rank(0, 1, 1), id, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));
    }
}
