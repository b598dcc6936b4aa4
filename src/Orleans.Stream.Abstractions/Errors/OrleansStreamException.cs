namespace Orleans.Stream;

/// <summary>
/// A request the cluster refused or could not carry out. <see cref="Code"/> says why, as a Kafka error code;
/// <see cref="Exception.Message"/> says it in words, naming the topic, partition or value at fault.
/// </summary>
[GenerateSerializer]
public sealed class OrleansStreamException : Exception
{
    public OrleansStreamException(ErrorCode code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    public OrleansStreamException() : this(ErrorCode.None, "Unknown error.") { }

    public OrleansStreamException(string message) : this(ErrorCode.None, message) { }

    public OrleansStreamException(string message, Exception inner) : this(ErrorCode.None, message, inner) { }

    [Id(0)]
    public ErrorCode Code { get; }

    /// <summary>True when trying again later may succeed (see <see cref="ErrorCodes.IsRetriable"/>).</summary>
    public bool IsRetriable => Code.IsRetriable();
}
