using System;
using System.Threading;
using Xunit;

namespace Ep.Runtime.Tests.Simulation;

/// <summary>The simulated world's shared teardown: what every rank may still use outlives every rank but the last.</summary>
public sealed class SimulatedWorldTests
{
    [Fact]
    public void Shares_are_disposed_only_when_the_last_rank_hands_in_its_own()
    {
        var world = new SimulatedWorld(3);
        var shares = new[] { new CountedDisposal(), new CountedDisposal(), new CountedDisposal(), new CountedDisposal() };

        world.DisposeWithLastRank(shares[0], shares[1]);
        world.DisposeWithLastRank(shares[2]);
        Assert.All(shares, share => Assert.Equal(0, share.Disposals));

        world.DisposeWithLastRank(shares[3]);
        Assert.All(shares, share => Assert.Equal(1, share.Disposals));
    }

    [Fact]
    public void Ranks_handing_in_at_once_dispose_every_share_exactly_once()
    {
        const int Ranks = 8;
        var world = new SimulatedWorld(Ranks);
        var shares = new CountedDisposal[Ranks];
        for (int r = 0; r < Ranks; r++)
        {
            shares[r] = new CountedDisposal();
        }

        // Threads of their own (a pool might run them one after another): all released at once.
        using var start = new ManualResetEventSlim();
        var threads = new Thread[Ranks];
        for (int r = 0; r < Ranks; r++)
        {
            int rank = r;
            threads[r] = new Thread(() =>
            {
                start.Wait();
                world.DisposeWithLastRank(shares[rank]);
            });
            threads[r].Start();
        }

        start.Set();
        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.All(shares, share => Assert.Equal(1, share.Disposals));
    }

    private sealed class CountedDisposal : IDisposable
    {
        private int _disposals;

        public int Disposals => Volatile.Read(ref _disposals);

        public void Dispose() => Interlocked.Increment(ref _disposals);
    }
}
