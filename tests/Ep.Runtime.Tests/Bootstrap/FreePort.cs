using System.Net;
using System.Net.Sockets;

namespace Ep.Runtime.Tests.Bootstrap;

/// <summary>A TCP port that nothing listens on right now (the OS picks it).</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
