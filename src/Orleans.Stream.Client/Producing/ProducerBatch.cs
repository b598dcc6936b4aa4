using Orleans.Stream.Storage;

namespace Orleans.Stream.Client.Producing;

/// <summary>
/// Records for one partition on their way to its leader: built straight into a pooled RecordBatch v2 buffer, sent
/// as one produce request, and answered for all its records at once (record i gets base offset + i).
/// </summary>
internal sealed class ProducerBatch(TopicPartition topicPartition, int initialCapacity) : IDisposable
{
    private readonly RecordBatchBuilder _builder = new(initialCapacity);
    private readonly TaskCompletionSource<long> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Memory<byte> _built;

    public TopicPartition TopicPartition { get; } = topicPartition;

    public long CreatedAt { get; } = Environment.TickCount64;

    public int RecordCount => _builder.RecordCount;

    public int SizeInBytes => _builder.SizeInBytes;

    /// <summary>Record bytes this batch holds against the producer's <c>buffer.memory</c>.</summary>
    public long ReservedBytes { get; set; }

    /// <summary>Set once the batch takes no more records.</summary>
    public bool IsSealed { get; private set; }

    /// <summary>Completes with the base offset the broker gave the batch (-1 with <c>acks=0</c>).</summary>
    public Task<long> Completion => _completion.Task;

    /// <summary>Appends a record; returns its index in the batch. Only while not sealed, under the accumulator's lock.</summary>
    public int Append(long timestamp, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, ReadOnlySpan<RecordHeader> headers)
    {
        int index = _builder.RecordCount;
        _builder.Append(timestamp, key, value, headers);
        return index;
    }

    /// <summary>Seals the batch and returns its bytes (header and CRC written); they stay valid until <see cref="Dispose"/>.</summary>
    public Memory<byte> Seal()
    {
        if (!IsSealed)
        {
            _built = _builder.Build();
            IsSealed = true;
        }

        return _built;
    }

    public Memory<byte> Bytes => IsSealed ? _built : throw new InvalidOperationException("The batch is not sealed.");

    public void Complete(long baseOffset) => _completion.TrySetResult(baseOffset);

    public void Fail(Exception error) => _completion.TrySetException(error);

    public void Dispose() => _builder.Dispose();
}
