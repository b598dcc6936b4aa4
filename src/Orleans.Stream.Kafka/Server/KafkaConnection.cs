using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Orleans.Stream.Kafka.Protocol;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Server;

/// <summary>
/// One Kafka client connection: size-prefixed request frames in, responses out in the same order. As in Kafka, a
/// connection has one request in processing at a time (clients pipeline by sending ahead; the socket buffers them).
/// A frame that breaks the protocol (too large, truncated, an unknown API) closes this connection with a log line
/// and touches nothing else.
/// </summary>
internal sealed partial class KafkaConnection(ConnectionContext connection, BrokerContext broker, ILogger logger)
{
    public async Task RunAsync(CancellationToken stopping)
    {
        PipeReader input = connection.Transport.Input;
        PipeWriter output = connection.Transport.Output;
        try
        {
            while (await ReadFrameAsync(input, stopping).ConfigureAwait(false) is { } frame)
            {
                try
                {
                    await HandleAsync(frame.Buffer.AsMemory(0, frame.Length), output, stopping).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(frame.Buffer);
                }
            }
        }
        catch (KafkaProtocolException error)
        {
            LogProtocolError(logger, connection.RemoteEndPoint?.ToString(), error.Message);
        }
        catch (Exception error) when (error is OperationCanceledException or ConnectionResetException or IOException or ObjectDisposedException)
        {
            // The client went away, or the broker is stopping.
        }
        catch (Exception error)
        {
            LogFailed(logger, connection.RemoteEndPoint?.ToString(), error);
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<(byte[] Buffer, int Length)?> ReadFrameAsync(PipeReader input, CancellationToken stopping)
    {
        while (true)
        {
            ReadResult read = await input.ReadAsync(stopping).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (buffer.Length >= 4)
            {
                int size = FrameSize(buffer);
                if (size < 0 || size > broker.Options.MaxRequestBytes)
                {
                    throw new KafkaProtocolException($"a request frame of {size} bytes (socket.request.max.bytes is {broker.Options.MaxRequestBytes}).");
                }

                if (buffer.Length >= 4L + size)
                {
                    byte[] frame = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
                    buffer.Slice(4, size).CopyTo(frame);
                    input.AdvanceTo(buffer.GetPosition(4L + size));
                    return (frame, size);
                }
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                if (!buffer.IsEmpty)
                {
                    throw new KafkaProtocolException($"the connection closed inside a frame ({buffer.Length} bytes of it read).");
                }

                input.AdvanceTo(buffer.End);
                return null;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static int FrameSize(ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        return BinaryPrimitives.ReadInt32BigEndian(prefix);
    }

    private async Task HandleAsync(ReadOnlyMemory<byte> frame, PipeWriter output, CancellationToken stopping)
    {
        var reader = new KafkaReader(frame);
        RequestHeader header = RequestHeader.Read(ref reader, KafkaApis.IsFlexible);
        KafkaApis.Api api = KafkaApis.Find(header.ApiKey)
            ?? throw new KafkaProtocolException($"unknown API key {header.ApiKey} (client '{header.ClientId}').");
        if (!api.Supports(header.ApiVersion))
        {
            if (header.ApiKey != Wire.ApiVersionsRequest.ApiKey)
            {
                throw new KafkaProtocolException($"API {header.ApiKey} version {header.ApiVersion} is not supported ({api.Min}-{api.Max}; client '{header.ClientId}').");
            }

            // KIP-511: a client that asks ApiVersions in a newer version than ours learns our range from a v0 answer.
            await WriteAsync(output, header.CorrelationId, new Wire.ApiVersionsResponse { ErrorCode = (short)ErrorCode.UnsupportedVersion, ApiKeys = KafkaApis.Versions() }, 0, flexibleHeader: false, stopping).ConfigureAwait(false);
            return;
        }

        IKafkaMessage request = api.NewRequest();
        request.Read(ref reader, header.ApiVersion);
        KafkaAnswer answer = await RequestDispatcher.DispatchAsync(broker, header, request).ConfigureAwait(false);
        try
        {
            if (answer.Message is { } response)
            {
                // Response header v1 (tagged fields) for flexible versions, except ApiVersions, whose header is always v0.
                bool flexibleHeader = api.IsFlexible(header.ApiVersion) && header.ApiKey != Wire.ApiVersionsRequest.ApiKey;
                await WriteAsync(output, header.CorrelationId, response, header.ApiVersion, flexibleHeader, stopping, answer.SizeHint).ConfigureAwait(false);
            }
        }
        finally
        {
            answer.AfterWrite?.Invoke();
        }
    }

    private static async ValueTask WriteAsync(
        PipeWriter output, int correlationId, IKafkaMessage response, short version, bool flexibleHeader, CancellationToken stopping, int sizeHint = 256)
    {
        // Straight into the pipe's memory (one copy of a fetch's records, not two); a response larger than its size
        // hint moves to a rented buffer and is copied in once it is complete.
        using var writer = new KafkaWriter(output.GetMemory(sizeHint));
        int size = writer.ReserveInt32();
        writer.WriteInt32(correlationId);
        if (flexibleHeader)
        {
            writer.WriteUnsignedVarint(0);
        }

        response.Write(writer, version);
        writer.PatchInt32(size, writer.Length - 4);
        if (writer.InDestination)
        {
            output.Advance(writer.Length);
        }
        else
        {
            output.Write(writer.WrittenSpan);
        }

        await output.FlushAsync(stopping).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka connection from {Remote} closed: {Reason}")]
    private static partial void LogProtocolError(ILogger logger, string? remote, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Kafka connection from {Remote} failed")]
    private static partial void LogFailed(ILogger logger, string? remote, Exception error);
}
