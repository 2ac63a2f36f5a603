using System.Net;
using System.Net.Sockets;

namespace Lifecycle.Tests;

/// <summary>Ports for servers a test starts on the loopback interface.</summary>
internal static class LoopbackPort
{
    /// <summary>A loopback port no one listens on now.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
