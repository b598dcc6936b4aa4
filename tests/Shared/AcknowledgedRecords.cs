using System.Globalization;

namespace Orleans.Stream.Testing;

/// <summary>
/// The checks after a fault test with an idempotent producer of keyed records whose values are <c>v{sequence}</c>:
/// the log holds each value once, every acknowledged record at the position its acknowledgement named, and each key's
/// values in the order they were produced.
/// </summary>
internal static class AcknowledgedRecords
{
    /// <summary>The acknowledgements the load tool's <c>verify-produce</c> wrote: partition, offset, key, value per line.</summary>
    public static List<(int Partition, long Offset, string Key, string Value)> Read(string acksFile)
    {
        var acks = new List<(int, long, string, string)>();
        foreach (string line in File.ReadLines(acksFile))
        {
            string[] fields = line.Split('\t');
            acks.Add((int.Parse(fields[0], CultureInfo.InvariantCulture), long.Parse(fields[1], CultureInfo.InvariantCulture), fields[2], fields[3]));
        }

        return acks;
    }

    public static void AssertExactlyOnceInKeyOrder(
        IReadOnlyDictionary<(int Partition, long Offset), (string Key, string Value)> log,
        IEnumerable<(int Partition, long Offset, string Value)> acknowledged)
    {
        var positions = new Dictionary<string, (int Partition, long Offset)>();
        foreach (((int partition, long offset), (_, string value)) in log)
        {
            Assert.True(positions.TryAdd(value, (partition, offset)), $"{value} is in the log twice: at {positions.GetValueOrDefault(value)} and {partition}@{offset}.");
        }

        foreach ((int partition, long offset, string value) in acknowledged)
        {
            Assert.True(positions.TryGetValue(value, out var at), $"Acknowledged {value} ({partition}@{offset}) is lost.");
            Assert.Equal((partition, offset), at);
        }

        foreach (IGrouping<string, KeyValuePair<(int Partition, long Offset), (string Key, string Value)>> key in log.GroupBy(r => r.Value.Key))
        {
            long[] sequence = [.. key.OrderBy(r => r.Key.Offset).Select(r => long.Parse(r.Value.Value.AsSpan(1), CultureInfo.InvariantCulture))];
            Assert.True(sequence.SequenceEqual(sequence.Order()), $"Key {key.Key} is out of order.");
        }
    }
}
