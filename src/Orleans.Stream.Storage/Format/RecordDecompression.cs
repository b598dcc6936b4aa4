using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using K4os.Compression.LZ4.Streams;
using Snappier;
using ZstdSharp;

namespace Orleans.Stream.Storage;

/// <summary>
/// Kafka's batch codecs, decoding only: a compressed batch is stored and served as it came, and its record section
/// is decompressed where its records must be read (validating an append, a consumer walking records). gzip (the
/// BCL), snappy (raw, or in the xerial framing the Java client writes), lz4 (the LZ4 frame format) and zstd. The
/// output goes into a pooled buffer the caller returns; a section that inflates past the given limit
/// (a decompression bomb) or does not decode is an <see cref="InvalidRecordException"/>.
/// </summary>
public static class RecordDecompression
{
    /// <summary>The most a batch's records may inflate to by default (Kafka batches are at most a few MB compressed).</summary>
    public const int DefaultMaxBytes = 256 << 20;

    private static ReadOnlySpan<byte> XerialMagic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    /// <summary>The records of <paramref name="compressed"/> (a batch's record section) in a rented array, <paramref name="length"/> bytes long.</summary>
    public static byte[] Decompress(CompressionType codec, ReadOnlySpan<byte> compressed, out int length, int maxBytes = DefaultMaxBytes)
    {
        try
        {
            return codec switch
            {
                CompressionType.Snappy => Snappy(compressed, maxBytes, out length),
                CompressionType.Gzip or CompressionType.Lz4 or CompressionType.Zstd => Stream(codec, compressed, maxBytes, out length),
                _ => throw new InvalidRecordException($"Compression codec {codec} cannot be decompressed."),
            };
        }
        catch (Exception error) when (error is InvalidDataException or IOException or ZstdException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidRecordException($"A {codec} record section does not decompress: {error.Message}");
        }
    }

    private static byte[] Stream(CompressionType codec, ReadOnlySpan<byte> compressed, int maxBytes, out int length)
    {
        byte[] input = ArrayPool<byte>.Shared.Rent(compressed.Length);
        try
        {
            compressed.CopyTo(input);
            using var source = new MemoryStream(input, 0, compressed.Length, writable: false);
            using System.IO.Stream decoder = codec switch
            {
                CompressionType.Gzip => new GZipStream(source, CompressionMode.Decompress),
                CompressionType.Lz4 => LZ4Stream.Decode(source),
                _ => new DecompressionStream(source),
            };
            return ReadAll(decoder, compressed.Length, maxBytes, out length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    private static byte[] ReadAll(System.IO.Stream decoder, int hint, int maxBytes, out int length)
    {
        byte[] output = ArrayPool<byte>.Shared.Rent(Math.Clamp(hint * 4, 4096, maxBytes));
        length = 0;
        try
        {
            while (true)
            {
                if (length == output.Length)
                {
                    if (output.Length >= maxBytes)
                    {
                        throw new InvalidRecordException($"A compressed record section inflates past {maxBytes} bytes.");
                    }

                    byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes, output.Length * 2));
                    output.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(output);
                    output = larger;
                }

                int read = decoder.Read(output, length, Math.Min(output.Length, maxBytes) - length);
                if (read == 0)
                {
                    return output;
                }

                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(output);
            throw;
        }
    }

    /// <summary>Raw snappy, or xerial's framing: the magic, two version ints, then length-prefixed raw blocks.</summary>
    private static byte[] Snappy(ReadOnlySpan<byte> compressed, int maxBytes, out int length)
    {
        if (!compressed.StartsWith(XerialMagic))
        {
            int size = global::Snappier.Snappy.GetUncompressedLength(compressed);
            if (size < 0 || size > maxBytes)
            {
                throw new InvalidRecordException($"A snappy record section claims {size} bytes (at most {maxBytes}).");
            }

            byte[] single = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
            length = global::Snappier.Snappy.Decompress(compressed, single);
            return single;
        }

        ReadOnlySpan<byte> blocks = compressed[(XerialMagic.Length + 8)..];
        int total = 0;
        for (ReadOnlySpan<byte> rest = blocks; !rest.IsEmpty;)
        {
            int blockLength = BinaryPrimitives.ReadInt32BigEndian(rest);
            ReadOnlySpan<byte> block = rest.Slice(4, blockLength);
            total += global::Snappier.Snappy.GetUncompressedLength(block);
            if (total > maxBytes)
            {
                throw new InvalidRecordException($"A snappy record section inflates past {maxBytes} bytes.");
            }

            rest = rest[(4 + blockLength)..];
        }

        byte[] output = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        length = 0;
        for (ReadOnlySpan<byte> rest = blocks; !rest.IsEmpty;)
        {
            int blockLength = BinaryPrimitives.ReadInt32BigEndian(rest);
            length += global::Snappier.Snappy.Decompress(rest.Slice(4, blockLength), output.AsSpan(length));
            rest = rest[(4 + blockLength)..];
        }

        return output;
    }
}
