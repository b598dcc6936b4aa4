using Orleans.Stream.Storage.Log;

namespace Orleans.Stream.Storage;

public sealed partial class PartitionLog
{
    private readonly OffsetWaiters _highWatermarkWaiters = new();
    private readonly OffsetWaiters _logEndWaiters = new();

    /// <summary>
    /// Completes once the high watermark is past <paramref name="offset"/> (i.e. a read from it would return data):
    /// the hook for long-poll fetches.
    /// </summary>
    public Task WaitForHighWatermarkAsync(long offset, CancellationToken cancellationToken) =>
        _highWatermarkWaiters.WaitPastAsync(this, static log => log.HighWatermark, offset, static log => log.ThrowIfUnusable(), cancellationToken);

    /// <summary>
    /// Completes once the log end is past <paramref name="offset"/>, i.e. a read up to the log end from it would return
    /// data: what a leader's replication waits on, so followers get a batch as soon as it is written here (not once it
    /// is fsynced: under group-commit the followers' writes and fsyncs overlap the leader's).
    /// </summary>
    public Task WaitForLogEndAsync(long offset, CancellationToken cancellationToken) =>
        _logEndWaiters.WaitPastAsync(this, static log => log.LogEndOffset, offset, static log => log.ThrowIfUnusable(), cancellationToken);
}
