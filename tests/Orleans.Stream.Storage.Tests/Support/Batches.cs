using System.Text;

namespace Orleans.Stream.Storage.Tests.Support;

/// <summary>Builds batches for tests and reads logs back into comparable records.</summary>
internal static class Batches
{
    public const long T0 = 1_700_000_000_000;

    public static byte[] Of(params TestRecord[] records)
    {
        using var builder = new RecordBatchBuilder();
        foreach (TestRecord r in records)
        {
            RecordHeader[] headers = r.Headers.Select(h => new RecordHeader(h.Key, h.Value is null ? null : (ReadOnlyMemory<byte>?)h.Value)).ToArray();
            builder.Append(r.Timestamp, r.Key, r.Value, headers);
        }

        return builder.Build().ToArray();
    }

    public static TestRecord Record(long timestamp, string? key, string? value, params (string, string?)[] headers) =>
        new(-1, timestamp, key is null ? null : Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value),
            headers.Select(h => (h.Item1, h.Item2 is null ? null : Encoding.UTF8.GetBytes(h.Item2))).ToArray());

    /// <summary>A batch of <paramref name="count"/> records whose contents are a pure function of (<paramref name="seed"/>, index).</summary>
    public static byte[] Deterministic(int seed, int count, int valueSize, long timestamp)
    {
        var records = new TestRecord[count];
        for (int i = 0; i < count; i++)
        {
            records[i] = DeterministicRecord(seed, i, valueSize, timestamp);
        }

        return Of(records);
    }

    public static TestRecord DeterministicRecord(int seed, int index, int valueSize, long timestamp)
    {
        var value = new byte[valueSize];
        new Random(HashCode.Combine(seed, index)).NextBytes(value);
        return new TestRecord(-1, timestamp + index, Encoding.UTF8.GetBytes($"k{seed}-{index}"), value, [("seed", Encoding.UTF8.GetBytes(seed.ToString()))]);
    }

    /// <summary>Every record in concatenated batches, copied out.</summary>
    public static List<TestRecord> Decode(ReadOnlySpan<byte> batches)
    {
        var result = new List<TestRecord>();
        foreach (RecordBatch batch in new RecordBatchEnumerator(batches))
        {
            foreach (Record r in batch.Records)
            {
                var headers = new List<(string, byte[]?)>();
                foreach (RecordHeaderView h in r.Headers)
                {
                    headers.Add((h.GetKey(), h.IsValueNull ? null : h.Value.ToArray()));
                }

                result.Add(new TestRecord(r.Offset, r.Timestamp, r.IsKeyNull ? null : r.Key.ToArray(), r.IsValueNull ? null : r.Value.ToArray(), [.. headers]));
            }
        }

        return result;
    }

    /// <summary>Copies what <paramref name="follower"/> lacks from <paramref name="leader"/>, as a follower's fetches would.</summary>
    public static async Task ReplicateAsync(PartitionLog leader, PartitionLog follower)
    {
        while (follower.LogEndOffset < leader.LogEndOffset)
        {
            using LogReadResult read = leader.Read(follower.LogEndOffset, 1 << 20, ReadBound.LogEnd);
            await follower.AppendReplicatedAsync(read.Batches.ToArray());
        }
    }

    /// <summary>Reads from <paramref name="from"/> to the bound, returning records at or after <paramref name="from"/>.</summary>
    public static List<TestRecord> ReadAll(PartitionLog log, long from = -1, ReadBound bound = ReadBound.LogEnd, int maxBytes = 64 * 1024)
    {
        long offset = from < 0 ? log.LogStartOffset : from;
        var records = new List<TestRecord>();
        while (true)
        {
            using LogReadResult read = log.Read(offset, maxBytes, bound);
            if (read.IsEmpty)
            {
                return records;
            }

            records.AddRange(Decode(read.Batches.Span).Where(r => r.Offset >= offset));
            offset = read.NextOffset;
        }
    }
}
