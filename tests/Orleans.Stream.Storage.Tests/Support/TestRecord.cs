namespace Orleans.Stream.Storage.Tests.Support;

/// <summary>A record as tests compare it: everything copied out of the spans.</summary>
public sealed record TestRecord(long Offset, long Timestamp, byte[]? Key, byte[]? Value, (string Key, byte[]? Value)[] Headers)
{
    public bool SameContentAs(TestRecord other) =>
        Timestamp == other.Timestamp
        && BytesEqual(Key, other.Key)
        && BytesEqual(Value, other.Value)
        && Headers.Length == other.Headers.Length
        && Headers.Zip(other.Headers).All(p => p.First.Key == p.Second.Key && BytesEqual(p.First.Value, p.Second.Value));

    private static bool BytesEqual(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
}
