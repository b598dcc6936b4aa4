namespace Orleans.Stream.Storage;

/// <summary>Bit 3 of a batch's attributes: who set the timestamps.</summary>
public enum TimestampType : byte
{
    CreateTime = 0,
    LogAppendTime = 1,
}
