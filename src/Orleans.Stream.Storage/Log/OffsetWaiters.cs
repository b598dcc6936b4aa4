namespace Orleans.Stream.Storage.Log;

/// <summary>
/// Callers waiting for one of the log's offsets (the high watermark, the log end) to move past a value. Lock-free:
/// a waiter registers a shared completion, whoever moves the offset releases it; releasing costs one read while
/// nobody waits.
/// </summary>
internal sealed class OffsetWaiters
{
    private TaskCompletionSource? _waiters;

    /// <summary>Completes once <paramref name="current"/> of <paramref name="log"/> is past <paramref name="offset"/>.</summary>
    public async Task WaitPastAsync(PartitionLog log, Func<PartitionLog, long> current, long offset, Action<PartitionLog> throwIfUnusable, CancellationToken cancellationToken)
    {
        while (current(log) <= offset)
        {
            throwIfUnusable(log);
            TaskCompletionSource waiters = Volatile.Read(ref _waiters)
                ?? Interlocked.CompareExchange(ref _waiters, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null)
                ?? Volatile.Read(ref _waiters)!;

            // Checked again after registering: a move in between has already released the old waiters.
            if (current(log) > offset)
            {
                return;
            }

            await waiters.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The offset moved (or the log closed): wakes every waiter, which then checks again.</summary>
    public void Release()
    {
        if (Volatile.Read(ref _waiters) is not null)
        {
            Interlocked.Exchange(ref _waiters, null)?.TrySetResult();
        }
    }
}
