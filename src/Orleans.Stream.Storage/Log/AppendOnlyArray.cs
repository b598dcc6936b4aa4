using System.Buffers;

namespace Orleans.Stream.Storage.Log;

/// <summary>
/// A growable array with one writer and lock-free readers, stored as fixed-size chunks rented from
/// <see cref="ArrayPool{T}"/>. The writer fills a slot before publishing the count and publishes a grown chunk
/// directory before the count that needs it, so a reader that loads the count first and the directory second always
/// sees at least that many valid entries. Chunks go back to the pool on <see cref="Release"/> (when the owning
/// segment's last reader lets go): a log whose retention deletes as much as it appends allocates nothing here.
/// </summary>
internal sealed class AppendOnlyArray<T>
    where T : struct
{
    private const int ChunkShift = 10;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;

    private T[]?[] _chunks;
    private int _count;

    public AppendOnlyArray(int capacityHint = 0) => _chunks = new T[]?[Math.Max(4, (capacityHint + ChunkMask) >> ChunkShift)];

    public int Count => Volatile.Read(ref _count);

    /// <summary>The entries [0, count) as of the call; index with <see cref="View.this"/>.</summary>
    public View Snapshot()
    {
        int count = Volatile.Read(ref _count);
        return new View(Volatile.Read(ref _chunks), count);
    }

    /// <summary>Writer only.</summary>
    public void Add(in T item)
    {
        int count = _count;
        int chunk = count >> ChunkShift;
        T[]?[] chunks = _chunks;
        if (chunk == chunks.Length)
        {
            var grown = new T[]?[chunks.Length * 2];
            chunks.CopyTo(grown, 0);
            Volatile.Write(ref _chunks, grown);
            chunks = grown;
        }

        T[] slots = chunks[chunk] ??= ArrayPool<T>.Shared.Rent(ChunkSize);
        slots[count & ChunkMask] = item;
        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>Writer only: keeps the first <paramref name="count"/> entries (chunks stay for reuse).</summary>
    public void Truncate(int count) => Volatile.Write(ref _count, Math.Min(count, _count));

    /// <summary>Returns every chunk to the pool. Only when no reader can still hold a <see cref="View"/>.</summary>
    public void Release()
    {
        T[]?[] chunks = _chunks;
        _count = 0;
        for (int i = 0; i < chunks.Length; i++)
        {
            if (chunks[i] is { } slots)
            {
                chunks[i] = null;
                ArrayPool<T>.Shared.Return(slots);
            }
        }
    }

    /// <summary>A consistent, read-only view of the first <see cref="Count"/> entries.</summary>
    public readonly struct View(T[]?[] chunks, int count)
    {
        public int Count => count;

        public ref readonly T this[int index] => ref chunks[index >> ChunkShift]![index & ChunkMask];
    }
}
