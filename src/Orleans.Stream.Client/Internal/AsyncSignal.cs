namespace Orleans.Stream.Client.Internal;

/// <summary>
/// An auto-reset wake-up for one background loop: any number of <see cref="Set"/> calls between two waits wake the
/// loop once. Cheap to set from hot paths (a volatile read when already set).
/// </summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _next = NewSource();

    public void Set() => Volatile.Read(ref _next).TrySetResult();

    /// <summary>Waits until set or until <paramref name="timeout"/> passes, then resets.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        TaskCompletionSource current = Volatile.Read(ref _next);
        if (!current.Task.IsCompleted && timeout > TimeSpan.Zero)
        {
            await Task.WhenAny(current.Task, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        }

        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _next, NewSource(), current);
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
