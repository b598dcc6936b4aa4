using Orleans.Stream.Kafka.Protocol;

namespace Orleans.Stream.Kafka.Server;

/// <summary>
/// A handler's answer: the response body (null: none is sent, as for acks=0 produce), what to do once it is written
/// (return the read buffers it points into), and about how many bytes it encodes to, so that a fetch answer of
/// megabytes is written into a buffer rented once rather than grown by doubling.
/// </summary>
internal readonly record struct KafkaAnswer(IKafkaMessage? Message, Action? AfterWrite = null, int SizeHint = 256);
