namespace Orleans.Stream.Tiering;

/// <summary>How <see cref="RemoteLogReader"/> reads the remote tier: the unit of download and the memory it may keep.</summary>
public sealed class RemoteReadOptions
{
    public const int MinChunkSize = 4 << 10;
    public const int MaxChunkSize = 64 << 20;

    /// <summary>
    /// A segment's log is downloaded in aligned chunks of this size: large enough that a sequential consumer costs
    /// few requests, small enough that a random read does not fetch much it will not use.
    /// </summary>
    public int ChunkSize { get; set; } = 1 << 20;

    /// <summary>
    /// The most bytes of downloaded chunks (and offset indexes) kept for later reads, least recently used dropped first.
    /// At least one chunk.
    /// </summary>
    public long CacheBytes { get; set; } = 64L << 20;

    internal void Validate()
    {
        if (ChunkSize is < MinChunkSize or > MaxChunkSize)
        {
            throw new InvalidOperationException($"RemoteReadOptions.ChunkSize must be between {MinChunkSize} and {MaxChunkSize} bytes (got {ChunkSize}).");
        }

        if (CacheBytes < ChunkSize)
        {
            throw new InvalidOperationException($"RemoteReadOptions.CacheBytes must hold at least one chunk ({ChunkSize} bytes; got {CacheBytes}).");
        }
    }
}
