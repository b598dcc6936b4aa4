namespace Orleans.Stream.Tiering;

/// <summary>A sealed local segment to copy to the remote tier: its three files and what the manifest records of it.</summary>
public sealed record SegmentUpload(
    string LogPath,
    string IndexPath,
    string TimeIndexPath,
    long BaseOffset,
    long LastOffset,
    long MaxTimestamp,
    IReadOnlyList<RemoteEpoch> Epochs);
