namespace Orleans.Stream.Tiering;

/// <summary>
/// Downloaded pieces of remote segments, the least recently used dropped first once they hold more than the budget.
/// Everyone asking for a piece that is being downloaded waits for that one download; a failed download is forgotten,
/// so the next ask tries again. The lock guards only the table: downloads run outside it. Cached arrays are never
/// reused or pooled, so a reader still copying from a piece that was just evicted copies good bytes.
/// </summary>
internal sealed class RemoteChunkCache(long capacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<RemoteChunkKey, Entry> _entries = [];
    private readonly LinkedList<Entry> _recency = new(); // downloaded entries, least recently used first
    private long _cachedBytes;
    private long _hits;

    /// <summary>Asks answered without a download of their own (cached, or joining one in flight).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    public long CachedBytes
    {
        get
        {
            lock (_lock)
            {
                return _cachedBytes;
            }
        }
    }

    /// <summary>
    /// The piece, from the cache or by <paramref name="download"/> (called at most once per piece in flight, without
    /// <paramref name="cancellationToken"/>: a caller giving up does not fail the others waiting for the same download).
    /// </summary>
    public Task<byte[]> GetAsync<TState>(RemoteChunkKey key, TState state, Func<RemoteChunkKey, TState, Task<byte[]>> download, CancellationToken cancellationToken)
    {
        Task<byte[]> task = GetOrStart(key, state, download, forUse: true);
        return task.IsCompletedSuccessfully ? task : task.WaitAsync(cancellationToken);
    }

    /// <summary>Starts downloading the piece unless it is cached or in flight; nobody waits for it, and a failure is dropped.</summary>
    public void Prefetch<TState>(RemoteChunkKey key, TState state, Func<RemoteChunkKey, TState, Task<byte[]>> download) =>
        GetOrStart(key, state, download, forUse: false);

    private Task<byte[]> GetOrStart<TState>(RemoteChunkKey key, TState state, Func<RemoteChunkKey, TState, Task<byte[]>> download, bool forUse)
    {
        Entry entry;
        bool found;
        lock (_lock)
        {
            found = _entries.TryGetValue(key, out Entry? existing);
            if (existing is null)
            {
                entry = new Entry(key);
                _entries.Add(key, entry);
            }
            else
            {
                entry = existing;
                if (forUse && entry.Node is { } node)
                {
                    _recency.Remove(node);
                    _recency.AddLast(node);
                }
            }
        }

        if (!found)
        {
            _ = DownloadAsync(entry, state, download);
        }
        else if (forUse)
        {
            Interlocked.Increment(ref _hits);
        }

        return entry.Completion.Task;
    }

    private async Task DownloadAsync<TState>(Entry entry, TState state, Func<RemoteChunkKey, TState, Task<byte[]>> download)
    {
        byte[] value;
        try
        {
            value = await download(entry.Key, state).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // every failure goes to the waiters
        catch (Exception error)
#pragma warning restore CA1031
        {
            lock (_lock)
            {
                _entries.Remove(entry.Key);
            }

            entry.Completion.SetException(error);
            _ = entry.Completion.Task.Exception; // observed: a failed prefetch nobody waits for is not an error
            return;
        }

        lock (_lock)
        {
            entry.Size = value.Length;
            entry.Node = _recency.AddLast(entry);
            _cachedBytes += value.Length;
            while (_cachedBytes > capacity && _recency.First is { } oldest)
            {
                _recency.RemoveFirst();
                oldest.Value.Node = null;
                _entries.Remove(oldest.Value.Key);
                _cachedBytes -= oldest.Value.Size;
            }
        }

        entry.Completion.SetResult(value);
    }

    private sealed class Entry(RemoteChunkKey key)
    {
        public RemoteChunkKey Key { get; } = key;

        public TaskCompletionSource<byte[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Its place in the recency list once downloaded and while cached; guarded by the cache's lock.</summary>
        public LinkedListNode<Entry>? Node { get; set; }

        public int Size { get; set; }
    }
}
