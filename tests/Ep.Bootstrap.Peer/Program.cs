using System;
using Ep;
using Ep.Bootstrap;

// Usage: Ep.Bootstrap.Peer <id as hex>   (rank 0 serves those bytes; other ranks ignore the argument)
// Prints "id <hex>" with the bytes this rank ends up with; exits 2 with the message on a bootstrap failure.
try
{
    EpLaunchEnvironment launch = EpLaunchEnvironment.FromProcess();
    TimeSpan timeout = UniqueIdRendezvous.ResolveTimeout(null, Environment.GetEnvironmentVariable);
    byte[]? id = launch.IsMaster ? Convert.FromHexString(args[0]) : null;
    byte[] received = UniqueIdRendezvous.Exchange(launch, id, timeout);
    Console.WriteLine("id " + Convert.ToHexString(received));
    return 0;
}
catch (Exception error) when (error is EpBootstrapException or EpConfigurationException)
{
    Console.Error.WriteLine(error.Message);
    return 2;
}
