using System.Text;

namespace Orleans.Stream.Storage;

/// <summary>One decoded record: spans into the batch bytes, valid as long as those bytes are.</summary>
public readonly ref struct Record
{
    private readonly ReadOnlySpan<byte> _headers;

    internal Record(
        long offset,
        int offsetDelta,
        long timestamp,
        byte attributes,
        ReadOnlySpan<byte> key,
        bool keyIsNull,
        ReadOnlySpan<byte> value,
        bool valueIsNull,
        int headerCount,
        ReadOnlySpan<byte> headers)
    {
        Offset = offset;
        OffsetDelta = offsetDelta;
        Timestamp = timestamp;
        Attributes = attributes;
        Key = key;
        IsKeyNull = keyIsNull;
        Value = value;
        IsValueNull = valueIsNull;
        HeaderCount = headerCount;
        _headers = headers;
    }

    public long Offset { get; }

    public int OffsetDelta { get; }

    public long Timestamp { get; }

    public byte Attributes { get; }

    public ReadOnlySpan<byte> Key { get; }

    public bool IsKeyNull { get; }

    public ReadOnlySpan<byte> Value { get; }

    public bool IsValueNull { get; }

    public int HeaderCount { get; }

    public RecordHeaderEnumerator Headers => new(_headers, HeaderCount, Offset);
}

/// <summary>Walks a record's headers in order, without allocating.</summary>
public ref struct RecordHeaderEnumerator
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _count;
    private readonly long _recordOffset;
    private int _index;
    private int _next;
    private RecordHeaderView _current;

    internal RecordHeaderEnumerator(ReadOnlySpan<byte> data, int count, long recordOffset)
    {
        _data = data;
        _count = count;
        _recordOffset = recordOffset;
        _index = 0;
        _next = 0;
        _current = default;
    }

    public readonly RecordHeaderView Current => _current;

    public readonly RecordHeaderEnumerator GetEnumerator() => this;

    /// <summary>True when all headers were read and they used exactly the record's remaining bytes.</summary>
    public readonly bool IsComplete => _index == _count && _next == _data.Length;

    public bool MoveNext()
    {
        if (_index >= _count)
        {
            return false;
        }

        ReadOnlySpan<byte> rest = _data[_next..];
        if (!Format.Varint.TryReadInt32(rest, out int keyLength, out int n) || keyLength < 0 || keyLength > rest.Length - n)
        {
            throw Corrupt("bad header key length");
        }

        ReadOnlySpan<byte> key = rest.Slice(n, keyLength);
        int p = n + keyLength;
        if (!Format.Varint.TryReadInt32(rest[p..], out int valueLength, out n) || valueLength < -1 || valueLength > rest.Length - p - n)
        {
            throw Corrupt("bad header value length");
        }

        p += n;
        ReadOnlySpan<byte> value = valueLength < 0 ? default : rest.Slice(p, valueLength);
        p += Math.Max(valueLength, 0);
        _current = new RecordHeaderView(key, value, valueLength < 0);
        _next += p;
        _index++;
        return true;
    }

    private readonly CorruptRecordException Corrupt(string what) =>
        new($"Malformed header {_index} in record at offset {_recordOffset}: {what}.");
}

/// <summary>One header of a decoded record.</summary>
public readonly ref struct RecordHeaderView
{
    internal RecordHeaderView(ReadOnlySpan<byte> keyUtf8, ReadOnlySpan<byte> value, bool isValueNull)
    {
        KeyUtf8 = keyUtf8;
        Value = value;
        IsValueNull = isValueNull;
    }

    public ReadOnlySpan<byte> KeyUtf8 { get; }

    public ReadOnlySpan<byte> Value { get; }

    public bool IsValueNull { get; }

    /// <summary>Decodes the name (allocates a string).</summary>
    public string GetKey() => Encoding.UTF8.GetString(KeyUtf8);
}
