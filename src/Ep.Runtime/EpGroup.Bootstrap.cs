using System;
using Ep.Bootstrap;
using Ep.Interop;
using Ep.Interop.Nccl;

namespace Ep;

public sealed partial class EpGroup
{
    /// <summary>
    /// Joins this process to a multi-process group described by launcher variables (<c>ep-run</c>'s EP_*, OpenMPI's or
    /// Slurm's; see <see cref="EpLaunchEnvironment"/>), with the default options.
    /// </summary>
    /// <inheritdoc cref="FromEnvironment(EpBootstrapOptions)"/>
    public static EpGroup FromEnvironment() => FromEnvironment(new EpBootstrapOptions());

    /// <summary>
    /// Joins this process to a multi-process group described by launcher variables: picks GPU
    /// <c>localRank % deviceCount</c> (made current on the calling thread), rank 0 creates the <c>ncclUniqueId</c> and
    /// serves it over TCP on the master port, every rank calls <c>ncclCommInitRank</c>, and the group gets the engine for
    /// that communicator. The group owns the communicator and destroys it after its engine (aborts it after a failure).
    /// Every rank of the launch must call this. A process with no launcher variables is rank 0 of 1.
    /// </summary>
    /// <exception cref="EpConfigurationException">A launch variable is missing or malformed (the message names it, the form
    /// expected and the value), there is no CUDA device, or no engine for multi-process groups is available.</exception>
    /// <exception cref="EpBootstrapException">The ranks did not find each other within the timeout.</exception>
    /// <exception cref="EpNativeLibraryException">The CUDA driver or NCCL does not load (every path tried is listed).</exception>
    public static EpGroup FromEnvironment(EpBootstrapOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Func<string, string?> environment = options.Environment ?? Environment.GetEnvironmentVariable;

        // Everything that can be wrong with the launch is reported before any native library is touched.
        EpLaunchEnvironment launch = EpLaunchEnvironment.Parse(environment);
        TimeSpan timeout = UniqueIdRendezvous.ResolveTimeout(options.Timeout, environment);

        EpDevice device = BootstrapDevice.Select(launch);
        NativeLibraryLoader.Load(NativeLibraryCandidates.Nccl);
        byte[]? id = null;
        if (launch.IsMaster)
        {
            NcclException.ThrowIfFailed(Nccl.GetUniqueId(out NcclUniqueId created));
            id = NcclUniqueIdBytes.ToArray(created);
        }

        byte[] shared = UniqueIdRendezvous.Exchange(launch, id, timeout);
        NcclCommunicatorHandle communicator = NcclCommunicatorHandle.InitRank(launch.WorldSize, NcclUniqueIdBytes.FromBytes(shared), launch.Rank);
        try
        {
            IEpEngine engine = EpEngineFactory.ForCommunicator(communicator.DangerousGetHandle(), launch.Rank, launch.WorldSize, device);
            return new EpGroup(launch.Rank, launch.WorldSize, device, engine, communicator.DangerousGetHandle(), communicator);
        }
        catch
        {
            // The peers may already be inside collectives on this communicator: abort rather than wait for them.
            communicator.AbortOnRelease();
            communicator.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates a group on an NCCL communicator the caller created (e.g. with its own MPI bootstrap). The group borrows
    /// it: disposing the group disposes the engine but never destroys the communicator, which must outlive the group and
    /// is destroyed by its owner afterwards. Rank and world size are read from the communicator.
    /// </summary>
    /// <param name="ncclComm">An initialised <c>ncclComm_t</c>.</param>
    /// <param name="device">The GPU the communicator was created on.</param>
    /// <exception cref="ArgumentException"><paramref name="ncclComm"/> is zero, or <paramref name="device"/> is the CPU.</exception>
    /// <exception cref="EpNativeLibraryException">NCCL does not load (every path tried is listed).</exception>
    /// <exception cref="EpConfigurationException">No engine for multi-process groups is available.</exception>
    public static EpGroup FromCommunicator(IntPtr ncclComm, EpDevice device)
    {
        if (ncclComm == IntPtr.Zero)
        {
            throw new ArgumentException("The NCCL communicator is null; pass an initialised ncclComm_t.", nameof(ncclComm));
        }

        if (device.IsCpu)
        {
            throw new ArgumentException("An NCCL communicator's ranks run on GPUs; pass the EpDevice.Gpu(ordinal) it was created on.", nameof(device));
        }

        NativeLibraryLoader.Load(NativeLibraryCandidates.Nccl);
        NcclException.ThrowIfFailed(Nccl.CommUserRank(ncclComm, out int rank));
        NcclException.ThrowIfFailed(Nccl.CommCount(ncclComm, out int worldSize));
        IEpEngine engine = EpEngineFactory.ForCommunicator(ncclComm, rank, worldSize, device);
        return new EpGroup(rank, worldSize, device, engine, ncclComm, ownedCommunicator: null);
    }
}
