using System.Net;
using System.Net.Sockets;

namespace Orleans.Stream.Testing;

/// <summary>Ports on 127.0.0.1 for the servers tests start (Azurite, broker silos).</summary>
internal static class LoopbackPort
{
    // Below Linux's ephemeral range (32768-60999): a port the OS hands out for port 0 is also handed out as the
    // local end of outgoing connections, so under load it was taken before Azurite could bind it (CI saw that).
    // Above the fixed ports the AppHost uses (10000-11113) and below the Orleans test cluster's (22300+).
    private const int First = 12_000, Last = 21_999;

    // Ports handed out by this process: a port is only checked free, not held, until its server binds it, so without
    // this two servers started together could be given the same one.
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A port nothing listens on right now, outside the range the OS uses for outgoing connections, and never one this
    /// process handed out before.
    /// </summary>
    public static int Free()
    {
        for (int attempt = 0; attempt < 1_000; attempt++)
        {
            int port = Random.Shared.Next(First, Last + 1);
            lock (HandedOut)
            {
                if (!HandedOut.Add(port))
                {
                    continue;
                }
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // in use: try another
            }
        }

        throw new InvalidOperationException($"No free loopback port between {First} and {Last}.");
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
