using Orleans.Runtime;

namespace Orleans.Stream.Client.Internal;

/// <summary>Sorts failures of grain calls into "try again" and "give up".</summary>
internal static class Transient
{
    /// <summary>
    /// True for failures another attempt may cure: a retriable <see cref="ErrorCode"/>, a silo that is down or
    /// shutting down, a message the cluster rejected in transit, a call that timed out.
    /// </summary>
    public static bool IsTransient(Exception error) => error switch
    {
        OrleansStreamException stream => stream.IsRetriable,
        SiloUnavailableException or OrleansMessageRejectionException or TimeoutException => true,
        Orleans.Runtime.Messaging.ConnectionFailedException => true, // a gateway or silo that just died
        OrleansException orleans when orleans.InnerException is { } inner => IsTransient(inner),
        AggregateException { InnerExceptions.Count: 1 } aggregate => IsTransient(aggregate.InnerExceptions[0]),
        _ => false,
    };

    /// <summary>The error as an <see cref="OrleansStreamException"/>, keeping its code when it has one.</summary>
    public static OrleansStreamException ToStreamException(Exception error, string context) => error switch
    {
        OrleansStreamException stream => stream,
        OrleansException { InnerException: OrleansStreamException inner } => inner,
        TimeoutException => new OrleansStreamException(ErrorCode.RequestTimedOut, $"{context}: the request timed out.", error),
        SiloUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException =>
            new OrleansStreamException(ErrorCode.LeaderNotAvailable, $"{context}: {error.Message}", error),
        _ => new OrleansStreamException(ErrorCode.None, $"{context}: {error.Message}", error),
    };

    /// <summary>
    /// Calls <paramref name="call"/> until it succeeds, retrying transient failures with backoff, for at most
    /// <paramref name="maxBlock"/> in all (then <see cref="TimeoutException"/>): how a client waits out a controller
    /// or gateway that is failing over (Kafka's max.block.ms). Other failures are thrown at once.
    /// </summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeSpan maxBlock, TimeSpan backoff, TimeSpan backoffMax)
    {
        long deadline = Environment.TickCount64 + (long)maxBlock.TotalMilliseconds;
        for (int attempt = 1; ; attempt++)
        {
            long remaining = deadline - Environment.TickCount64;
            try
            {
                return await call().WaitAsync(TimeSpan.FromMilliseconds(Math.Max(1, remaining))).ConfigureAwait(false);
            }
            catch (Exception error) when (IsTransient(error) && deadline - Environment.TickCount64 > 0)
            {
                TimeSpan delay = Backoff(attempt, backoff, backoffMax);
                if (Environment.TickCount64 + (long)delay.TotalMilliseconds >= deadline)
                {
                    throw new TimeoutException($"Gave up after {attempt} attempts within {maxBlock}.", error);
                }

                await Task.Delay(delay).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Exponential backoff from <paramref name="initial"/>, doubling per attempt, capped at <paramref name="max"/>, with ±20 % jitter.</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan initial, TimeSpan max)
    {
        double ms = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16)));
        return TimeSpan.FromMilliseconds(ms * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }
}
