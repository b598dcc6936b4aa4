using System.Text;
using Orleans.Stream.Storage.Partitioning;

namespace Orleans.Stream.Storage.Tests.Partitioning;

public sealed class Murmur2Tests
{
    // The vectors from Kafka's own UtilsTest.testMurmur2.
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Matches_kafka_murmur2(string key, int expected) =>
        Assert.Equal(expected, Murmur2.Hash(Encoding.UTF8.GetBytes(key)));

    [Fact]
    public void Keyed_partition_is_to_positive_hash_modulo_count()
    {
        // toPositive(-973932308) = -973932308 & 0x7fffffff = 1173551340; % 7 = 1173551340 - 7*167650191 = 3.
        Assert.Equal(3, KeyPartitioner.PartitionFor("21"u8, 7));
        Assert.Equal(479470107 % 10, KeyPartitioner.PartitionFor("abc"u8, 10));
        Assert.Equal(0, KeyPartitioner.PartitionFor("anything"u8, 1));
    }

    [Fact]
    public void To_positive_clears_the_sign_bit_even_for_min_value()
    {
        Assert.Equal(0, KeyPartitioner.ToPositive(int.MinValue));
        Assert.Equal(int.MaxValue, KeyPartitioner.ToPositive(-1));
        Assert.Equal(5, KeyPartitioner.ToPositive(5));
    }

    [Fact]
    public void Same_key_always_lands_in_the_same_partition_and_keys_spread()
    {
        var counts = new int[8];
        for (int i = 0; i < 8000; i++)
        {
            byte[] key = Encoding.UTF8.GetBytes($"user-{i}");
            int p = KeyPartitioner.PartitionFor(key, 8);
            Assert.Equal(p, KeyPartitioner.PartitionFor(key, 8));
            counts[p]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
    }
}
