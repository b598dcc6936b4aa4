namespace Orleans.Stream.Storage.Log;

/// <summary>
/// The immutable list of segments readers work from. The writer publishes a new view on roll, retention and
/// truncation; a reader takes one view and keeps using it, holding a reference on each segment it touches.
/// </summary>
internal sealed class LogView(LogSegment[] segments)
{
    public LogSegment[] Segments { get; } = segments;

    public LogSegment Active => Segments[^1];

    public long LogStartOffset => Segments[0].BaseOffset;

    /// <summary>Index of the segment that holds <paramref name="offset"/>: the last one whose base offset is ≤ it.</summary>
    public int FloorSegment(long offset)
    {
        int lo = 0, hi = Segments.Length - 1, found = 0;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Segments[mid].BaseOffset <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    public LogView WithAppended(LogSegment segment)
    {
        var segments = new LogSegment[Segments.Length + 1];
        Segments.CopyTo(segments, 0);
        segments[^1] = segment;
        return new LogView(segments);
    }

    public LogView Slice(int start, int count) => new(Segments.AsSpan(start, count).ToArray());
}
