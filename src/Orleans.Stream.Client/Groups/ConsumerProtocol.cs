using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Orleans.Stream.Client.Groups;

/// <summary>What a member tells the group leader (Kafka's ConsumerProtocolSubscription).</summary>
internal sealed record Subscription(IReadOnlyList<string> Topics, IReadOnlyList<TopicPartition> OwnedPartitions, int GenerationId, byte[]? UserData = null);

/// <summary>
/// Kafka's consumer protocol: the subscription a member sends in JoinGroup and the assignment it gets back from
/// SyncGroup, in Kafka's own byte layout (big-endian, int16 version first, int16-length strings, int32-count
/// arrays, int32-length nullable bytes), so that Kafka consumers and grain-client consumers can share a group.
/// Subscriptions are written at version 2 (topics, user data, owned partitions, generation); any version 0–3 is
/// read, and fields a newer version appends are ignored, as Kafka's own clients do.
/// </summary>
internal static class ConsumerProtocol
{
    public const string ProtocolType = "consumer";
    private const short SubscriptionVersion = 2;
    private const short AssignmentVersion = 1;

    public static byte[] EncodeSubscription(Subscription subscription)
    {
        var writer = new Writer();
        writer.Int16(SubscriptionVersion);
        writer.Int32(subscription.Topics.Count);
        foreach (string topic in subscription.Topics)
        {
            writer.String(topic);
        }

        writer.Bytes(subscription.UserData);
        writer.Partitions(subscription.OwnedPartitions);
        writer.Int32(subscription.GenerationId);
        return writer.ToArray();
    }

    public static Subscription DecodeSubscription(ReadOnlySpan<byte> bytes)
    {
        var reader = new Reader(bytes);
        short version = reader.Int16();
        int count = reader.Count();
        var topics = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            topics.Add(reader.String());
        }

        byte[]? userData = reader.Bytes();
        List<TopicPartition> owned = version >= 1 ? reader.Partitions() : [];
        int generation = version >= 2 ? reader.Int32() : -1;
        return new Subscription(topics, owned, generation, userData);
    }

    public static byte[] EncodeAssignment(IReadOnlyList<TopicPartition> partitions)
    {
        var writer = new Writer();
        writer.Int16(AssignmentVersion);
        writer.Partitions(partitions);
        writer.Bytes(null);
        return writer.ToArray();
    }

    /// <summary>The partitions of an assignment; empty bytes (a member the leader left out) mean none.</summary>
    public static List<TopicPartition> DecodeAssignment(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return [];
        }

        var reader = new Reader(bytes);
        reader.Int16();
        return reader.Partitions();
    }

    private sealed class Writer
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(256);

        public void Int16(short value)
        {
            BinaryPrimitives.WriteInt16BigEndian(_buffer.GetSpan(2), value);
            _buffer.Advance(2);
        }

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
            _buffer.Advance(4);
        }

        public void String(string value)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(value);
            Int16(checked((short)utf8.Length));
            _buffer.Write(utf8);
        }

        public void Bytes(byte[]? value)
        {
            Int32(value is null ? -1 : value.Length);
            if (value is not null)
            {
                _buffer.Write(value);
            }
        }

        /// <summary>Kafka's topic-partitions array: partitions grouped by topic, in the order topics first appear.</summary>
        public void Partitions(IReadOnlyList<TopicPartition> partitions)
        {
            var byTopic = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            var order = new List<string>();
            foreach (TopicPartition partition in partitions)
            {
                if (!byTopic.TryGetValue(partition.Topic, out List<int>? list))
                {
                    byTopic[partition.Topic] = list = [];
                    order.Add(partition.Topic);
                }

                list.Add(partition.Partition);
            }

            Int32(order.Count);
            foreach (string topic in order)
            {
                String(topic);
                List<int> list = byTopic[topic];
                Int32(list.Count);
                foreach (int partition in list)
                {
                    Int32(partition);
                }
            }
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        public int Count()
        {
            int count = Int32();
            return count < 0 ? 0 : count <= _bytes.Length ? count : throw Malformed($"an array of {count} elements");
        }

        public string String()
        {
            short length = Int16();
            return length < 0 ? "" : Encoding.UTF8.GetString(Take(length));
        }

        public byte[]? Bytes()
        {
            int length = Int32();
            return length < 0 ? null : Take(length).ToArray();
        }

        public List<TopicPartition> Partitions()
        {
            int topics = Count();
            var result = new List<TopicPartition>();
            for (int t = 0; t < topics; t++)
            {
                string topic = String();
                int count = Count();
                for (int i = 0; i < count; i++)
                {
                    result.Add(new TopicPartition(topic, Int32()));
                }
            }

            return result;
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > _bytes.Length - _position)
            {
                throw Malformed($"{count} more bytes at {_position}");
            }

            ReadOnlySpan<byte> slice = _bytes.Slice(_position, count);
            _position += count;
            return slice;
        }

        private readonly OrleansStreamException Malformed(string what) =>
            new(ErrorCode.InconsistentGroupProtocol, $"Malformed consumer protocol data ({_bytes.Length} bytes): expected {what}.");
    }
}
