using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Ep.Bootstrap.Rendezvous;

/// <summary>
/// Rank 0's side: listens on every interface and hands the id to each of the world − 1 peers exactly once.
/// Connections are served concurrently, so a stalled or foreign client cannot hold the others back.
/// </summary>
internal sealed class UniqueIdServer
{
    private readonly byte[] _id;
    private readonly int _worldSize;
    private readonly int _port;
    private readonly TimeSpan _timeout;
    private readonly object _gate = new();
    private readonly HashSet<int> _claimed = new();
    private readonly HashSet<int> _served = new();
    private readonly List<string> _rejections = new();
    private readonly TaskCompletionSource _everyoneServed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public UniqueIdServer(byte[] id, int worldSize, int port, TimeSpan timeout)
    {
        _id = id;
        _worldSize = worldSize;
        _port = port;
        _timeout = timeout;
    }

    public async Task ServeAsync(CancellationToken cancel)
    {
        if (_worldSize == 1)
        {
            return;
        }

        using TcpListener listener = Listen();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(_timeout);
        var connections = new List<Task>();
        Task<Socket>? accept = null;
        try
        {
            while (true)
            {
                accept = listener.AcceptSocketAsync(deadline.Token).AsTask();
                if (await Task.WhenAny(accept, _everyoneServed.Task).ConfigureAwait(false) == _everyoneServed.Task)
                {
                    break;
                }

                connections.Add(ServeOneAsync(await accept.ConfigureAwait(false), deadline.Token));
                accept = null;
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw TimedOut();
        }
        finally
        {
            await deadline.CancelAsync().ConfigureAwait(false);
            listener.Stop();
            DiscardPendingAccept(accept);
            await Task.WhenAll(connections).ConfigureAwait(false);
        }
    }

    private TcpListener Listen()
    {
        // Dual-stack where the OS has IPv6, so peers reach rank 0 by an IPv4 or an IPv6 address.
        TcpListener listener = TcpListener.Create(_port);
        try
        {
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start(backlog: Math.Min(_worldSize, 512));
            return listener;
        }
        catch (SocketException error)
        {
            listener.Dispose();
            throw new EpBootstrapException(string.Create(CultureInfo.InvariantCulture,
                $"Rank 0 could not listen on port {_port} (all interfaces) to serve the NCCL unique id to {_worldSize - 1} peer(s): {error.SocketErrorCode} ({error.Message}). Choose a free port with {EpLaunchVariables.MasterPort}."), error);
        }
    }

    // The accept still pending when the last peer was served ends when the listener stops; close whatever it got.
    private static void DiscardPendingAccept(Task<Socket>? accept) =>
        accept?.ContinueWith(
            static t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    t.Result.Dispose();
                }

                return t.Exception;
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    // Never throws: a broken connection only means that peer has to try again.
    private async Task ServeOneAsync(Socket socket, CancellationToken cancel)
    {
        int claimedRank = -1;
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            RendezvousProtocol.Hello hello = await RendezvousProtocol.ReadHelloAsync(stream, cancel).ConfigureAwait(false);
            string? rejection = Claim(hello);
            if (rejection is not null)
            {
                Record(string.Create(CultureInfo.InvariantCulture, $"{socket.RemoteEndPoint}: {rejection}"));
                await RendezvousProtocol.SendRejectionAsync(stream, rejection, cancel).ConfigureAwait(false);
                return;
            }

            claimedRank = hello.Rank;
            await RendezvousProtocol.SendIdAsync(stream, _id, cancel).ConfigureAwait(false);
            lock (_gate)
            {
                _served.Add(claimedRank);
                if (_served.Count == _worldSize - 1)
                {
                    _everyoneServed.TrySetResult();
                }
            }
        }
        catch (Exception error) when (error is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            lock (_gate)
            {
                // The id never reached that rank: let it claim its rank again when it retries.
                if (claimedRank >= 0 && !_served.Contains(claimedRank))
                {
                    _claimed.Remove(claimedRank);
                }
            }
        }
    }

    private string? Claim(RendezvousProtocol.Hello hello)
    {
        if (!hello.MagicMatches)
        {
            return "not an Ep rendezvous client (bad magic)";
        }

        if (hello.WorldSize != _worldSize)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"rank {hello.Rank} was launched with a world size of {hello.WorldSize}, but rank 0 has {_worldSize}");
        }

        if (hello.Rank < 1 || hello.Rank >= _worldSize)
        {
            return string.Create(CultureInfo.InvariantCulture, $"rank {hello.Rank} is out of range: peers are ranks 1 to {_worldSize - 1}");
        }

        lock (_gate)
        {
            return _claimed.Add(hello.Rank)
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"rank {hello.Rank} has already joined: two processes were given the same rank");
        }
    }

    private void Record(string rejection)
    {
        lock (_gate)
        {
            _rejections.Add(rejection);
        }
    }

    private EpBootstrapException TimedOut()
    {
        lock (_gate)
        {
            int[] missing = Enumerable.Range(1, _worldSize - 1).Where(r => !_served.Contains(r)).ToArray();
            string rejected = _rejections.Count == 0 ? string.Empty : " Rejected: " + string.Join("; ", _rejections) + ".";
            return new EpBootstrapException(string.Create(CultureInfo.InvariantCulture,
                $"Rank 0 waited {_timeout.TotalSeconds:0.###} s on port {_port} for the {_worldSize - 1} other rank(s) of a world of {_worldSize}; rank(s) {string.Join(", ", missing)} never joined ({_served.Count} did).{rejected} Check that those ranks were started, that their {EpLaunchVariables.MasterAddress}/{EpLaunchVariables.MasterPort} point at this host and port, or raise {EpLaunchVariables.BootstrapTimeoutSeconds}."));
        }
    }
}
