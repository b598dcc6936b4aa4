namespace Orleans.Stream.Kafka.Protocol;

/// <summary>A request or response body with a generated codec.</summary>
internal interface IKafkaMessage
{
    short ApiKey { get; }

    void Read(ref KafkaReader reader, short version);

    void Write(KafkaWriter writer, short version);
}
