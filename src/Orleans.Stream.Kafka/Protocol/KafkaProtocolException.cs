namespace Orleans.Stream.Kafka.Protocol;

/// <summary>A frame that does not follow the protocol (truncated, a negative length, a null where none may be): the connection is closed.</summary>
internal sealed class KafkaProtocolException(string message) : Exception(message);
