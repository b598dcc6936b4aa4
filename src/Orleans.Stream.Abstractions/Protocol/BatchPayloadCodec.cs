using System.Buffers;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace Orleans.Stream;

/// <summary>
/// Writes a <see cref="BatchPayload"/> as length-prefixed bytes (then releases a leased one: a message is serialized
/// once) and reads it into a pooled buffer.
/// </summary>
[RegisterSerializer]
internal sealed class BatchPayloadCodec : IFieldCodec<BatchPayload>
{
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, BatchPayload value)
        where TBufferWriter : IBufferWriter<byte>
    {
        value.EnsureReadable();
        ReferenceCodec.MarkValueField(writer.Session);
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(BatchPayload), WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)value.Length);
        writer.Write(value.Memory.Span);
        value.ReleaseIfLeased();
    }

    public BatchPayload ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        ReferenceCodec.MarkValueField(reader.Session);
        if (field.WireType != WireType.LengthPrefixed)
        {
            throw new InvalidOperationException($"A {nameof(BatchPayload)} must be length-prefixed on the wire, not {field.WireType}.");
        }

        int length = checked((int)reader.ReadVarUInt32());
        byte[] pooled = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        reader.ReadBytes(pooled.AsSpan(0, length));
        return BatchPayload.Received(pooled, length);
    }
}

/// <summary>
/// Local calls pass the payload as is (it is immutable), so the callee sees the caller's memory, not a copy, and owns
/// a lease.
/// </summary>
[RegisterCopier]
internal sealed class BatchPayloadCopier : IDeepCopier<BatchPayload>
{
    public BatchPayload DeepCopy(BatchPayload input, CopyContext context) => input;
}
