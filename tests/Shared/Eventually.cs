namespace Orleans.Stream.Testing;

/// <summary>Waiting for a condition that background work makes true, bounded in time so a test fails instead of hanging.</summary>
internal static class Eventually
{
    /// <summary>Checks <paramref name="condition"/> until it holds; throws naming <paramref name="what"/> (evaluated then) after <paramref name="timeout"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!await condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Not true within {timeout}: {what()}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// As <see cref="TrueAsync"/>, for a condition that asks a cluster that is losing or regaining nodes: a call that
    /// fails (a dead gateway, a grain moving) counts as "not yet".
    /// </summary>
    public static Task TrueDespiteFaultsAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what) =>
        TrueAsync(async () =>
        {
            try
            {
                return await condition();
            }
            catch (Exception error) when (error is not TimeoutException || error.Message.Contains("did not arrive on time", StringComparison.Ordinal))
            {
                return false;
            }
        }, timeout, what);
}
