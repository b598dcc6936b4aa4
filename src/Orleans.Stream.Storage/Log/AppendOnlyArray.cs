namespace Orleans.Stream.Storage.Log;

/// <summary>
/// A growable array with one writer and lock-free readers. The writer fills a slot before publishing the count, and
/// publishes a grown array before the count that needs it, so a reader that loads the count first and the array
/// second always sees at least that many valid entries.
/// </summary>
internal sealed class AppendOnlyArray<T>
    where T : struct
{
    private T[] _items;
    private int _count;

    public AppendOnlyArray(int capacity = 16) => _items = new T[Math.Max(capacity, 4)];

    public AppendOnlyArray(T[] items)
    {
        _items = items.Length == 0 ? new T[4] : items;
        _count = items.Length;
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>A consistent view: the entries [0, Count) as of the call.</summary>
    public ReadOnlySpan<T> Snapshot()
    {
        int count = Volatile.Read(ref _count);
        T[] items = Volatile.Read(ref _items);
        return items.AsSpan(0, count);
    }

    /// <summary>Writer only.</summary>
    public void Add(in T item)
    {
        int count = _count;
        T[] items = _items;
        if (count == items.Length)
        {
            var grown = new T[items.Length * 2];
            items.CopyTo(grown, 0);
            Volatile.Write(ref _items, grown);
            items = grown;
        }

        items[count] = item;
        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>Writer only: keeps the first <paramref name="count"/> entries.</summary>
    public void Truncate(int count) => Volatile.Write(ref _count, Math.Min(count, _count));
}
