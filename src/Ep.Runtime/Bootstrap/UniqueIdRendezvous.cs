using System;
using System.Threading;
using Ep.Bootstrap.Rendezvous;
using Ep.Interop.Nccl;

namespace Ep.Bootstrap;

/// <summary>
/// Hands rank 0's <c>ncclUniqueId</c> to every other rank over TCP: rank 0 listens on the master port (all interfaces)
/// and answers each peer once; peers connect to the master address and port, retrying until the timeout. The id is
/// opaque bytes here, so the exchange runs (and is tested) without NCCL.
/// </summary>
internal static class UniqueIdRendezvous
{
    /// <summary>Size of <c>ncclUniqueId</c>.</summary>
    public const int IdBytes = NcclUniqueId.Bytes;

    /// <summary>Used when neither the options nor <c>EP_BOOTSTRAP_TIMEOUT_S</c> say otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Rank 0 passes its id and returns once every peer has it; other ranks pass null and get rank 0's bytes.
    /// </summary>
    /// <exception cref="EpBootstrapException">Rank 0: some peers never joined in time (named). Peers: rank 0 was not
    /// reached in time (address, port, last socket error), or it refused this rank.</exception>
    public static byte[] Exchange(EpLaunchEnvironment launch, byte[]? idOnRankZero, TimeSpan timeout, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(launch);
        if (launch.IsMaster)
        {
            ArgumentNullException.ThrowIfNull(idOnRankZero);
            if (idOnRankZero.Length != IdBytes)
            {
                throw new ArgumentException($"The unique id has {IdBytes} bytes; got {idOnRankZero.Length}.", nameof(idOnRankZero));
            }

            new UniqueIdServer(idOnRankZero, launch.WorldSize, launch.MasterPort, timeout)
                .ServeAsync(cancel).GetAwaiter().GetResult();
            return idOnRankZero;
        }

        return new UniqueIdClient(launch.MasterAddress, launch.MasterPort, launch.Rank, launch.WorldSize, timeout)
            .FetchAsync(IdBytes, cancel).GetAwaiter().GetResult();
    }

    /// <summary>The timeout: <paramref name="configured"/> when given, else <c>EP_BOOTSTRAP_TIMEOUT_S</c>, else 120 s.</summary>
    /// <exception cref="EpConfigurationException"><c>EP_BOOTSTRAP_TIMEOUT_S</c> is not a positive number of seconds.</exception>
    public static TimeSpan ResolveTimeout(TimeSpan? configured, Func<string, string?> environment)
    {
        if (configured is { } explicitTimeout)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(explicitTimeout, TimeSpan.Zero, nameof(configured));
            return explicitTimeout;
        }

        var read = new LaunchVariableReader(environment);
        return read.IsSet(EpLaunchVariables.BootstrapTimeoutSeconds) ? read.Seconds(EpLaunchVariables.BootstrapTimeoutSeconds) : DefaultTimeout;
    }
}
