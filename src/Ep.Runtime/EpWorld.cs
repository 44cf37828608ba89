using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace Ep;

/// <summary>
/// Runs expert-parallel code with every rank simulated as a thread of this process: on the CPU (the Reference engine)
/// or on one GPU (the Staged engine, ranks exchanging tokens by device copies).
/// </summary>
public static partial class EpWorld
{
    /// <summary>The most ranks one process simulates (NCCL EP's largest world).</summary>
    public const int MaxSimulatedRanks = 64;

    /// <summary>Runs <paramref name="body"/> once per rank on the CPU, each on its own thread with its own group.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ranks"/> is not in [1, 64].</exception>
    public static void RunSimulated(int ranks, Action<EpGroup> body) => RunSimulated(ranks, EpDevice.Cpu, body);

    /// <summary>Runs <paramref name="body"/> once per rank on <paramref name="device"/>, each on its own thread with its own group.</summary>
    public static void RunSimulated(int ranks, EpDevice device, Action<EpGroup> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        RunSimulated(ranks, device, group =>
        {
            body(group);
            return true;
        });
    }

    /// <summary>Runs <paramref name="body"/> once per rank on the CPU and returns each rank's result, indexed by rank.</summary>
    public static T[] RunSimulated<T>(int ranks, Func<EpGroup, T> body) => RunSimulated(ranks, EpDevice.Cpu, body);

    /// <summary>
    /// Runs <paramref name="body"/> once per rank on <paramref name="device"/> and returns each rank's result, indexed by
    /// rank. When a rank throws, the ranks waiting on it stop with <see cref="EpPeerFailedException"/>, and the first
    /// rank's own exception (not a peer failure) is rethrown here with its original stack.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ranks"/> is not in [1, 64].</exception>
    public static T[] RunSimulated<T>(int ranks, EpDevice device, Func<EpGroup, T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (ranks < 1 || ranks > MaxSimulatedRanks)
        {
            throw new ArgumentOutOfRangeException(nameof(ranks), ranks,
                $"ranks must be in [1, {MaxSimulatedRanks}]; got {ranks}.");
        }

        var world = new SimulatedWorld(ranks);
        var results = new T[ranks];
        var errors = new Exception?[ranks];
        var threads = new Thread[ranks];
        for (int r = 0; r < ranks; r++)
        {
            int rank = r;
            threads[r] = new Thread(() => RunRank(world, rank, device, body, results, errors))
            {
                Name = $"ep-rank-{rank}",
                IsBackground = true,
            };
        }

        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Exception? first = Array.Find(errors, e => e is not null and not EpPeerFailedException)
            ?? Array.Find(errors, e => e is not null);
        if (first is not null)
        {
            ExceptionDispatchInfo.Throw(first);
        }

        return results;
    }

    private static void RunRank<T>(SimulatedWorld world, int rank, EpDevice device, Func<EpGroup, T> body, T[] results, Exception?[] errors)
    {
        try
        {
            using var group = new EpGroup(rank, world.Ranks, device, CreateEngine(world, rank, device));
            results[rank] = body(group);
        }
#pragma warning disable CA1031 // Every failure of a rank is captured and rethrown on the caller's thread.
        catch (Exception error)
#pragma warning restore CA1031
        {
            errors[rank] = error;
            world.Fail(rank, error);
        }
    }
}
