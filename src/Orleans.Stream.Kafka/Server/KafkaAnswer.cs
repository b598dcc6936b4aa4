using Orleans.Stream.Kafka.Protocol;

namespace Orleans.Stream.Kafka.Server;

/// <summary>
/// A handler's answer: the response body (null: none is sent, as for acks=0 produce), and what to do once it is
/// written (return the read buffers it points into).
/// </summary>
internal readonly record struct KafkaAnswer(IKafkaMessage? Message, Action? AfterWrite = null);
