using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Ep.Runtime.Tests.Engines;

/// <summary>The zero-copy suspension scope: restores, nests, refuses out-of-order disposal, and stays in its own flow.</summary>
public sealed class EpZeroCopyTests
{
    private static readonly EpLayerSpec ZeroCopyLayer = new() { Experts = 8, TopK = 2, HiddenSize = 16, MaxTokensPerRank = 4, ZeroCopy = true };

    [Fact]
    public void Scope_suspends_and_restores()
    {
        Assert.False(EpZeroCopy.IsSuspended);
        Assert.True(EpZeroCopy.UsesWindows(ZeroCopyLayer));
        using (EpZeroCopy.Suspend())
        {
            Assert.True(EpZeroCopy.IsSuspended);
            Assert.False(EpZeroCopy.UsesWindows(ZeroCopyLayer));
        }

        Assert.False(EpZeroCopy.IsSuspended);
        Assert.True(EpZeroCopy.UsesWindows(ZeroCopyLayer));
        Assert.False(EpZeroCopy.UsesWindows(ZeroCopyLayer with { ZeroCopy = false }));
    }

    [Fact]
    public void Nested_scopes_restore_the_previous_state_not_the_default()
    {
        IDisposable outer = EpZeroCopy.Suspend();
        IDisposable inner = EpZeroCopy.Suspend();
        inner.Dispose();
        Assert.True(EpZeroCopy.IsSuspended); // still inside outer
        inner.Dispose(); // a second dispose is a no-op
        outer.Dispose();
        Assert.False(EpZeroCopy.IsSuspended);
    }

    [Fact]
    public void Out_of_order_dispose_throws_and_changes_nothing()
    {
        IDisposable outer = EpZeroCopy.Suspend();
        IDisposable inner = EpZeroCopy.Suspend();

        var e = Assert.Throws<InvalidOperationException>(outer.Dispose);
        Assert.Equal("EpZeroCopy.Suspend scopes were disposed out of order: this scope (depth 1) still has an inner scope open (depth 2); dispose the inner scope first.", e.Message);
        Assert.True(EpZeroCopy.IsSuspended);

        inner.Dispose();
        outer.Dispose();
        Assert.False(EpZeroCopy.IsSuspended);
    }

    [Fact]
    public void Threads_do_not_see_each_others_scopes()
    {
        using var bothInside = new Barrier(2);
        bool[] seenInside = new bool[2];
        bool[] seenAfter = new bool[2];
        var threads = new Thread[2];
        for (int i = 0; i < 2; i++)
        {
            int id = i;
            threads[i] = new Thread(() =>
            {
                if (id == 0)
                {
                    using (EpZeroCopy.Suspend())
                    {
                        bothInside.SignalAndWait();
                        seenInside[id] = EpZeroCopy.IsSuspended;
                        bothInside.SignalAndWait();
                    }
                }
                else
                {
                    bothInside.SignalAndWait();
                    seenInside[id] = EpZeroCopy.IsSuspended;
                    bothInside.SignalAndWait();
                }

                seenAfter[id] = EpZeroCopy.IsSuspended;
            });
            threads[i].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Equal([true, false], seenInside);
        Assert.Equal([false, false], seenAfter);
    }

    [Fact]
    public async Task Scope_flows_across_awaits_and_not_back_out_of_a_task()
    {
        using (EpZeroCopy.Suspend())
        {
            await Task.Yield();
            Assert.True(EpZeroCopy.IsSuspended);
            Assert.True(await Task.Run(() => EpZeroCopy.IsSuspended));
        }

        Assert.False(EpZeroCopy.IsSuspended);

        // A scope opened inside an async method ends with that method's flow: the caller is unaffected.
        IDisposable leaked = await OpenScopeAsync();
        Assert.False(EpZeroCopy.IsSuspended);
        var e = Assert.Throws<InvalidOperationException>(leaked.Dispose);
        Assert.Equal("This EpZeroCopy.Suspend scope (depth 1) is not open on the current thread or async flow; dispose it where it was opened (its state does not flow back out of a task or across threads).", e.Message);
    }

    private static async Task<IDisposable> OpenScopeAsync()
    {
        await Task.Yield();
        return EpZeroCopy.Suspend();
    }
}
