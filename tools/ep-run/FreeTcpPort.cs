using System.Net;
using System.Net.Sockets;

namespace Ep.Tools.Run;

/// <summary>
/// A port that is free now, picked by the OS. Another process could take it before rank 0 listens; that is rare, and
/// rank 0 then fails with a message naming the port, so the run can simply be repeated or given --port.
/// </summary>
internal static class FreeTcpPort
{
    public static int Pick()
    {
        using var probe = new TcpListener(IPAddress.Any, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
