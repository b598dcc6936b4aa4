using Orleans.Stream.Storage.Log;

namespace Orleans.Stream.Tiering;

/// <summary>
/// A sealed segment in the remote tier, as the manifest records it once all its blobs are uploaded: its offsets
/// (<see cref="BaseOffset"/> to <see cref="LastOffset"/> inclusive), its newest record timestamp, its size, the
/// leader epochs it holds, and the CRC-32C of its log bytes, which a reader of the whole segment checks.
/// </summary>
public sealed record RemoteSegment(
    long BaseOffset,
    long LastOffset,
    long MaxTimestamp,
    long SizeInBytes,
    IReadOnlyList<EpochEntry> Epochs,
    uint LogCrc32C,
    DateTimeOffset UploadedAt);
