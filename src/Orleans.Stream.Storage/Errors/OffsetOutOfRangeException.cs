namespace Orleans.Stream.Storage;

/// <summary>An offset outside [log start offset, log end offset], or negative.</summary>
public sealed class OffsetOutOfRangeException : LogException
{
    public OffsetOutOfRangeException(long offset, long logStartOffset, long logEndOffset)
        : base(offset < 0
            ? $"Offset {offset} is negative; valid offsets are {logStartOffset}..{logEndOffset}."
            : $"Offset {offset} is out of range; valid offsets are {logStartOffset}..{logEndOffset}.")
    {
        Offset = offset;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
    }

    public long Offset { get; }

    public long LogStartOffset { get; }

    public long LogEndOffset { get; }

    /// <summary>Kafka OFFSET_OUT_OF_RANGE.</summary>
    public override short KafkaErrorCode => 1;
}
