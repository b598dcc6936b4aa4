using System.Net;
using System.Net.Sockets;

namespace Orleans.Stream.Testing;

/// <summary>Ports on 127.0.0.1 for the servers tests start (Azurite, broker silos).</summary>
internal static class LoopbackPort
{
    /// <summary>A port nothing listens on right now (the OS picks it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True once something accepts TCP connections on the port.</summary>
    public static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
