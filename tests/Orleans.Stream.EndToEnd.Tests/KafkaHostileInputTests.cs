using System.Buffers.Binary;
using System.Net.Sockets;
using Orleans.Stream.Client;
using Orleans.Stream.EndToEnd.Tests.Support;
using Kafka = Confluent.Kafka;

namespace Orleans.Stream.EndToEnd.Tests;

/// <summary>
/// The Kafka port under hostile input: random frames, truncated frames, absurd sizes and unknown APIs each cost
/// only their own connection (closed, logged); the broker process stays up and the next real client is served. An
/// ApiVersions request newer than the broker's gets the protocol's answer (UNSUPPORTED_VERSION with the ranges).
/// </summary>
[Collection(SharedClusterDefinition.Name)]
public sealed class KafkaHostileInputTests(KafkaCluster kafka)
{
    [Fact]
    public async Task Garbage_costs_only_its_connection_and_the_next_client_is_served()
    {
        BrokerProcesses cluster = kafka.Cluster;
        await kafka.Connection.Client.Admin.CreateTopicAsync("sturdy", 1);
        int port = cluster.KafkaPort(0);
        var random = new Random(20261128);

        // A size beyond socket.request.max.bytes, a negative size, a frame cut short, an unknown API key.
        Assert.True(await ClosedAfterAsync(port, Frame(int.MaxValue, [])));
        Assert.True(await ClosedAfterAsync(port, Frame(-5, [])));
        Assert.True(await ClosedAfterAsync(port, Frame(100, [0, 3, 0, 1]), thenClose: true));
        Assert.True(await ClosedAfterAsync(port, Request(apiKey: 999, version: 0, body: [])));
        Assert.True(await ClosedAfterAsync(port, Request(apiKey: 3, version: 99, body: []))); // Metadata v99

        // Random bodies behind random (mostly real) API keys: closed or answered, never a crash.
        for (int i = 0; i < 200; i++)
        {
            byte[] body = new byte[random.Next(0, 64)];
            random.NextBytes(body);
            short apiKey = (short)random.Next(0, 25);
            await ClosedAfterAsync(port, Request(apiKey, (short)random.Next(0, 13), body));
        }

        // ApiVersions v99: the answer is a v0 ApiVersions with UNSUPPORTED_VERSION and our ranges (KIP-511).
        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", port);
            NetworkStream stream = client.GetStream();
            await stream.WriteAsync(Request(apiKey: 18, version: 99, body: [0], correlationId: 4242)); // [0]: a flexible header's empty tagged fields
            byte[] size = new byte[4];
            await stream.ReadExactlyAsync(size);
            byte[] answer = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
            await stream.ReadExactlyAsync(answer);
            Assert.Equal(4242, BinaryPrimitives.ReadInt32BigEndian(answer));
            Assert.Equal((short)ErrorCode.UnsupportedVersion, BinaryPrimitives.ReadInt16BigEndian(answer.AsSpan(4)));
            Assert.True(BinaryPrimitives.ReadInt32BigEndian(answer.AsSpan(6)) > 0, "the answer lists the supported APIs");
        }

        Assert.True(cluster.IsRunning(0) && cluster.IsRunning(1) && cluster.IsRunning(2), "a broker process died");
        var config = new Kafka.ProducerConfig { BootstrapServers = cluster.KafkaBootstrap, Acks = Kafka.Acks.All, MessageTimeoutMs = 30_000 };
        using Kafka.IProducer<Kafka.Null, string> producer = new Kafka.ProducerBuilder<Kafka.Null, string>(config).Build();
        Kafka.DeliveryResult<Kafka.Null, string> delivered = await producer.ProduceAsync("sturdy", new Kafka.Message<Kafka.Null, string> { Value = "still here" });
        Assert.Equal(Kafka.PersistenceStatus.Persisted, delivered.Status);
        Assert.Equal(0, delivered.Offset.Value);
    }

    private static byte[] Frame(int size, byte[] content)
    {
        byte[] frame = new byte[4 + content.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, size);
        content.CopyTo(frame, 4);
        return frame;
    }

    /// <summary>A request frame: header v1 (api key, version, correlation id, client id "fuzz") and the body.</summary>
    private static byte[] Request(short apiKey, short version, byte[] body, int correlationId = 1)
    {
        byte[] content = new byte[2 + 2 + 4 + 2 + 4 + body.Length];
        BinaryPrimitives.WriteInt16BigEndian(content, apiKey);
        BinaryPrimitives.WriteInt16BigEndian(content.AsSpan(2), version);
        BinaryPrimitives.WriteInt32BigEndian(content.AsSpan(4), correlationId);
        BinaryPrimitives.WriteInt16BigEndian(content.AsSpan(8), 4);
        "fuzz"u8.CopyTo(content.AsSpan(10));
        body.CopyTo(content, 14);
        return Frame(content.Length, content);
    }

    /// <summary>Sends <paramref name="bytes"/>; true if the broker then closes the connection (it may also answer first).</summary>
    private static async Task<bool> ClosedAfterAsync(int port, byte[] bytes, bool thenClose = false)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(bytes);
        if (thenClose)
        {
            client.Client.Shutdown(SocketShutdown.Send); // the client gives up mid-frame
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        byte[] buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false; // still open: an answer came and the broker waits for the next request
        }
        catch (IOException)
        {
            return true; // reset
        }
    }
}
