using Orleans.Stream.Storage.Format;

namespace Orleans.Stream.Storage;

/// <summary>
/// Walks the records of one batch, decoding each in place: keys, values and headers are slices of the input,
/// nothing is allocated. Malformed record bytes throw <see cref="CorruptRecordException"/>.
/// </summary>
public ref struct RecordEnumerator
{
    private readonly ReadOnlySpan<byte> _records;
    private readonly long _baseOffset;
    private readonly long _baseTimestamp;
    private readonly int _count;
    private int _index;
    private int _next;
    private Record _current;

    /// <param name="header">The batch header (base offset, base timestamp, record count).</param>
    /// <param name="records">The uncompressed record section: the bytes after the 61-byte header, or the decompressed ones.</param>
    public RecordEnumerator(scoped in RecordBatchHeader header, ReadOnlySpan<byte> records)
    {
        _records = records;
        _baseOffset = header.BaseOffset;
        _baseTimestamp = header.BaseTimestamp;
        _count = header.RecordCount;
        _index = 0;
        _next = 0;
        _current = default;
    }

    public readonly Record Current => _current;

    public readonly RecordEnumerator GetEnumerator() => this;

    /// <summary>True when every record declared by the header was read and no bytes are left over.</summary>
    public readonly bool IsComplete => _index == _count && _next == _records.Length;

    public bool MoveNext()
    {
        if (_index >= _count)
        {
            if (_next != _records.Length)
            {
                throw Corrupt($"{_records.Length - _next} bytes follow the last of {_count} records");
            }

            return false;
        }

        ReadOnlySpan<byte> rest = _records[_next..];
        int p = ReadVarint(rest, 0, out int length);
        if (length < 0 || length > rest.Length - p)
        {
            throw Corrupt($"record {_index} declares {length} bytes but {rest.Length - p} remain");
        }

        ReadOnlySpan<byte> body = rest.Slice(p, length);
        int b = 0;
        if (body.IsEmpty)
        {
            throw Corrupt($"record {_index} is empty");
        }

        byte attributes = body[b++];
        b = ReadVarlong(body, b, out long timestampDelta);
        b = ReadVarint(body, b, out int offsetDelta);
        b = ReadBytes(body, b, out ReadOnlySpan<byte> key, out bool keyIsNull);
        b = ReadBytes(body, b, out ReadOnlySpan<byte> value, out bool valueIsNull);
        b = ReadVarint(body, b, out int headerCount);
        if (headerCount < 0)
        {
            throw Corrupt($"record {_index} has {headerCount} headers");
        }

        _current = new Record(
            _baseOffset + offsetDelta,
            offsetDelta,
            _baseTimestamp + timestampDelta,
            attributes,
            key,
            keyIsNull,
            value,
            valueIsNull,
            headerCount,
            body[b..]);
        _next += p + length;
        _index++;
        return true;
    }

    private readonly CorruptRecordException Corrupt(string what) =>
        new($"Malformed record in batch at offset {_baseOffset}: {what}.");

    private readonly int ReadVarint(ReadOnlySpan<byte> span, int at, out int value)
    {
        if (!Varint.TryReadInt32(span[at..], out value, out int n))
        {
            throw Corrupt($"bad varint in record {_index}");
        }

        return at + n;
    }

    private readonly int ReadVarlong(ReadOnlySpan<byte> span, int at, out long value)
    {
        if (!Varint.TryReadInt64(span[at..], out value, out int n))
        {
            throw Corrupt($"bad varlong in record {_index}");
        }

        return at + n;
    }

    private readonly int ReadBytes(ReadOnlySpan<byte> span, int at, out ReadOnlySpan<byte> bytes, out bool isNull)
    {
        at = ReadVarint(span, at, out int length);
        if (length < -1 || length > span.Length - at)
        {
            throw Corrupt($"record {_index} declares a field of {length} bytes but {span.Length - at} remain");
        }

        isNull = length < 0;
        bytes = isNull ? default : span.Slice(at, length);
        return at + Math.Max(length, 0);
    }
}
