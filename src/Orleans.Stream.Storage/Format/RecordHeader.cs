namespace Orleans.Stream.Storage;

/// <summary>A record header to write: a UTF-8 name and a value that may be null. Names may repeat; order is kept.</summary>
public readonly record struct RecordHeader(string Key, ReadOnlyMemory<byte>? Value);
