using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Ep.Bootstrap.Rendezvous;

/// <summary>
/// A peer's side: connects to rank 0, retrying with backoff (rank 0 may start later, or still be creating the id)
/// until the timeout, then fails naming the address, port, rank, timeout and the last socket error.
/// </summary>
internal sealed class UniqueIdClient
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromSeconds(1);

    private readonly string _address;
    private readonly int _port;
    private readonly int _rank;
    private readonly int _worldSize;
    private readonly TimeSpan _timeout;

    public UniqueIdClient(string address, int port, int rank, int worldSize, TimeSpan timeout)
    {
        _address = address;
        _port = port;
        _rank = rank;
        _worldSize = worldSize;
        _timeout = timeout;
    }

    public async Task<byte[]> FetchAsync(int idBytes, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan delay = FirstRetryDelay;
        Exception? lastError = null;
        int attempts = 0;
        while (true)
        {
            TimeSpan remaining = _timeout - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw TimedOut(attempts, lastError);
            }

            attempts++;
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            attempt.CancelAfter(remaining);
            try
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(_address, _port, attempt.Token).ConfigureAwait(false);
                using var stream = new NetworkStream(socket, ownsSocket: false);
                await RendezvousProtocol.SendHelloAsync(stream, _rank, _worldSize, attempt.Token).ConfigureAwait(false);
                (byte[]? id, string? rejection) = await RendezvousProtocol.ReadReplyAsync(stream, idBytes, attempt.Token).ConfigureAwait(false);
                return id ?? throw Rejected(rejection!);
            }
            catch (Exception error) when (error is SocketException or IOException or InvalidDataException)
            {
                // Refused (rank 0 not listening yet), reset, or a name that does not resolve yet: all worth retrying.
                lastError = error;
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                throw TimedOut(attempts, lastError);
            }

            TimeSpan wait = delay < _timeout - clock.Elapsed ? delay : _timeout - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancel).ConfigureAwait(false);
            }

            delay = delay * 2 < LongestRetryDelay ? delay * 2 : LongestRetryDelay;
        }
    }

    private EpBootstrapException Rejected(string reason) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"Rank {_rank} of {_worldSize}: rank 0 at {_address}:{_port} refused to give it the NCCL unique id: {reason}. Check the launch's rank variables."));

    private EpBootstrapException TimedOut(int attempts, Exception? lastError)
    {
        string last = lastError switch
        {
            SocketException socket => $"{socket.SocketErrorCode} ({socket.Message})",
            null => "none (connected, but rank 0 did not answer in time)",
            _ => lastError.Message,
        };
        return new EpBootstrapException(string.Create(CultureInfo.InvariantCulture,
            $"Rank {_rank} of {_worldSize} could not get the NCCL unique id from rank 0 at {_address}:{_port} within {_timeout.TotalSeconds:0.###} s ({attempts} attempt(s)); last socket error: {last}. Check that rank 0 is running and that {EpLaunchVariables.MasterAddress}/{EpLaunchVariables.MasterPort} name its host and a port reachable from this node, or raise {EpLaunchVariables.BootstrapTimeoutSeconds}."),
            lastError);
    }
}
