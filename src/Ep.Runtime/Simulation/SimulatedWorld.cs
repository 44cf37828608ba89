using System;
using System.Collections.Generic;
using System.Threading;

namespace Ep;

/// <summary>
/// The collective fabric of ranks simulated as threads of one process: a rendezvous where every rank contributes a
/// value and receives everyone's. Engines build their exchanges on it (Reference: arrays; Staged: device addresses and
/// events). When a rank fails, every rank waiting (or arriving later) gets <see cref="EpPeerFailedException"/>
/// instead of a hang.
/// </summary>
internal sealed class SimulatedWorld
{
    private readonly object _gate = new();
    private readonly object?[] _contributions;
    private readonly List<IDisposable[]> _sharedUntilLastRank = [];
    private object?[] _published = [];
    private long _round;
    private int _arrived;
    private int _failedRank = -1;
    private Exception? _failure;

    public SimulatedWorld(int ranks)
    {
        Ranks = ranks;
        _contributions = new object?[ranks];
    }

    public int Ranks { get; }

    /// <summary>Collective: returns every rank's <paramref name="value"/>, indexed by rank. Also a barrier.</summary>
    public T[] AllGather<T>(int rank, T value, string operation)
    {
        lock (_gate)
        {
            ThrowIfPeerFailed(operation);
            long round = _round;
            _contributions[rank] = value;
            if (++_arrived == Ranks)
            {
                // The next round cannot complete before every rank (this one included) has read this one's values,
                // because every rank must arrive again first.
                _published = (object?[])_contributions.Clone();
                Array.Clear(_contributions);
                _arrived = 0;
                _round++;
                Monitor.PulseAll(_gate);
            }
            else
            {
                while (round == _round)
                {
                    Monitor.Wait(_gate);
                    if (round == _round)
                    {
                        ThrowIfPeerFailed(operation);
                    }
                }
            }

            var values = new T[Ranks];
            for (int r = 0; r < Ranks; r++)
            {
                values[r] = (T)_published[r]!;
            }

            return values;
        }
    }

    /// <summary>Collective: waits until every rank has arrived.</summary>
    public void Barrier(int rank, string operation) => AllGather(rank, true, operation);

    /// <summary>Marks <paramref name="rank"/> as failed and wakes every waiting rank. The first failure wins.</summary>
    public void Fail(int rank, Exception error)
    {
        lock (_gate)
        {
            if (_failure is null)
            {
                _failedRank = rank;
                _failure = error;
            }

            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Hands in one rank's share of something every rank uses — a rank's CUDA events, which its peers wait on after an
    /// exchange's last barrier, possibly after that rank has finished — and disposes every share when the last rank
    /// hands in its own. Each rank hands in once, when it is done with the world: by then no rank is inside an exchange.
    /// </summary>
    public void DisposeWithLastRank(params IDisposable[] share)
    {
        IDisposable[][]? shares = null;
        lock (_gate)
        {
            _sharedUntilLastRank.Add(share);
            if (_sharedUntilLastRank.Count == Ranks)
            {
                shares = _sharedUntilLastRank.ToArray();
                _sharedUntilLastRank.Clear();
            }
        }

        if (shares is not null)
        {
            foreach (IDisposable[] rankShare in shares)
            {
                foreach (IDisposable each in rankShare)
                {
                    each.Dispose();
                }
            }
        }
    }

    private void ThrowIfPeerFailed(string operation)
    {
        if (_failure is not null)
        {
            throw new EpPeerFailedException(_failedRank, operation, _failure);
        }
    }
}
