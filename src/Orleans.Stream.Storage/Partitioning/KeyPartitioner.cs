namespace Orleans.Stream.Storage.Partitioning;

/// <summary>Kafka's default choice of partition for a keyed record: <c>toPositive(murmur2(key)) % partitions</c>.</summary>
public static class KeyPartitioner
{
    public static int PartitionFor(ReadOnlySpan<byte> key, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        return ToPositive(Murmur2.Hash(key)) % partitionCount;
    }

    /// <summary>Kafka's <c>Utils.toPositive</c>: clears the sign bit (not <c>Math.Abs</c>, which fails on int.MinValue).</summary>
    public static int ToPositive(int value) => value & 0x7fffffff;
}
