using System.Text.Json;

namespace Orleans.Stream.Tiering;

/// <summary>
/// What the remote tier holds of one partition: the topic's id (a re-created topic with the same name starts a new
/// manifest), the remote log start offset (retention moves it), the segments, ordered by base offset, without
/// gaps or overlaps, and the newest leader epoch that wrote it (an older leader may no longer write: see
/// <see cref="FencedFor"/>). A segment is visible to readers only once it is in here; blobs without an entry are orphans.
/// </summary>
public sealed record RemoteManifest(Guid TopicId, long LogStartOffset, IReadOnlyList<RemoteSegment> Segments, int LeaderEpoch = -1)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public static RemoteManifest Empty(Guid topicId) => new(topicId, 0, []);

    /// <summary>The next offset after the last remote segment, or <see cref="LogStartOffset"/> when there is none.</summary>
    public long EndOffset => Segments.Count == 0 ? LogStartOffset : Segments[^1].LastOffset + 1;

    public long SizeInBytes
    {
        get
        {
            long size = 0;
            foreach (RemoteSegment segment in Segments)
            {
                size += segment.SizeInBytes;
            }

            return size;
        }
    }

    /// <summary>The segment holding <paramref name="offset"/>, or null when it is below the start or above the end.</summary>
    public RemoteSegment? Find(long offset)
    {
        int low = 0, high = Segments.Count - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            RemoteSegment segment = Segments[middle];
            if (offset < segment.BaseOffset)
            {
                high = middle - 1;
            }
            else if (offset > segment.LastOffset)
            {
                low = middle + 1;
            }
            else
            {
                return offset >= LogStartOffset ? segment : null;
            }
        }

        return null;
    }

    /// <summary>
    /// This manifest with <paramref name="segment"/> appended. It must start exactly at <see cref="EndOffset"/> (or, for
    /// the first segment, anywhere at or after the start); a segment already recorded (same base and last offset, a
    /// retried upload) leaves the manifest as it is. Anything else is refused: a gap or an overlap would serve wrong data.
    /// </summary>
    public RemoteManifest With(RemoteSegment segment)
    {
        foreach (RemoteSegment existing in Segments)
        {
            if (existing.BaseOffset == segment.BaseOffset && existing.LastOffset == segment.LastOffset)
            {
                return this;
            }
        }

        bool fits = Segments.Count == 0 ? segment.BaseOffset >= LogStartOffset : segment.BaseOffset == EndOffset;
        if (!fits || segment.LastOffset < segment.BaseOffset)
        {
            throw new InvalidOperationException(
                $"Remote segment [{segment.BaseOffset}, {segment.LastOffset}] does not continue the remote log, which ends at {EndOffset}.");
        }

        return this with { LogStartOffset = Segments.Count == 0 ? segment.BaseOffset : LogStartOffset, Segments = [.. Segments, segment] };
    }

    /// <summary>This manifest without the segments that end before <paramref name="offset"/>, with the start moved there.</summary>
    public RemoteManifest WithoutBefore(long offset, out IReadOnlyList<RemoteSegment> removed)
    {
        var kept = new List<RemoteSegment>(Segments.Count);
        var dropped = new List<RemoteSegment>();
        foreach (RemoteSegment segment in Segments)
        {
            (segment.LastOffset < offset ? dropped : kept).Add(segment);
        }

        removed = dropped;
        return this with { LogStartOffset = Math.Max(LogStartOffset, offset), Segments = kept };
    }

    /// <summary>
    /// This manifest, claimed by the leader of <paramref name="leaderEpoch"/>; throws
    /// <see cref="RemoteTierFencedException"/> if a newer leader has written it (this one has been replaced).
    /// </summary>
    public RemoteManifest FencedFor(int leaderEpoch) =>
        leaderEpoch < LeaderEpoch
            ? throw new RemoteTierFencedException($"The remote manifest was written by leader epoch {LeaderEpoch}; epoch {leaderEpoch} may no longer change it.")
            : leaderEpoch == LeaderEpoch ? this : this with { LeaderEpoch = leaderEpoch };

    internal byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    internal static RemoteManifest FromJson(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<RemoteManifest>(json, Json) ?? throw new InvalidDataException("The remote manifest is empty.");
}
