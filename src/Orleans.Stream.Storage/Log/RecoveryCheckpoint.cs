using System.Buffers.Binary;
using Orleans.Stream.Storage.Format;

namespace Orleans.Stream.Storage.Log;

/// <summary>
/// The per-log checkpoint file <c>recovery.checkpoint</c>: every byte below <see cref="RecoveryPoint"/> was fsynced
/// (log and index files), so recovery only rescans segments that reach past it. A stale checkpoint is always safe
/// (recovery just rescans more); a missing or damaged one means "rescan everything".
/// Layout (29 bytes, big-endian): version int32 = 1 | recoveryPoint int64 | highWatermark int64 | clean int8 | crc32c int32.
/// </summary>
internal readonly record struct RecoveryCheckpoint(long RecoveryPoint, long HighWatermark, bool CleanShutdown)
{
    public const string FileName = "recovery.checkpoint";
    private const int Version = 1;
    private const int Size = 29;

    public static RecoveryCheckpoint? TryRead(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length != Size
            || BinaryPrimitives.ReadInt32BigEndian(bytes) != Version
            || BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(Size - 4)) != Crc32C.Compute(bytes.AsSpan(0, Size - 4)))
        {
            return null;
        }

        return new RecoveryCheckpoint(
            BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(4)),
            BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(12)),
            bytes[20] != 0);
    }

    /// <summary>Replaces the checkpoint atomically and durably (see <see cref="DurableFile.WriteAtomically"/>).</summary>
    public void Write(string directory)
    {
        Span<byte> bytes = stackalloc byte[Size];
        BinaryPrimitives.WriteInt32BigEndian(bytes, Version);
        BinaryPrimitives.WriteInt64BigEndian(bytes[4..], RecoveryPoint);
        BinaryPrimitives.WriteInt64BigEndian(bytes[12..], HighWatermark);
        bytes[20] = CleanShutdown ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(bytes[(Size - 4)..], Crc32C.Compute(bytes[..(Size - 4)]));

        DurableFile.WriteAtomically(Path.Combine(directory, FileName), bytes);
    }
}
