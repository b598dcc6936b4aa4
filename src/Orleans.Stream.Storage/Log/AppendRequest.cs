using System.Threading.Tasks.Sources;
using Microsoft.Extensions.ObjectPool;
using Orleans.Stream.Storage.Format;

namespace Orleans.Stream.Storage.Log;

/// <summary>Work for the log's single writer: an append, or a rare control operation (roll, truncate, retention, close).</summary>
internal abstract class WriteCommand
{
}

/// <summary>
/// One append on its way through the writer (and, with group commit, the flusher). Pooled and completed through
/// <see cref="IValueTaskSource{TResult}"/>, so a steady stream of appends allocates nothing.
/// </summary>
internal sealed class AppendRequest : WriteCommand, IValueTaskSource<AppendResult>
{
    private static readonly ObjectPool<AppendRequest> Pool =
        new DefaultObjectPool<AppendRequest>(new DefaultPooledObjectPolicy<AppendRequest>(), maximumRetained: 4096);

    private ManualResetValueTaskSourceCore<AppendResult> _core = new() { RunContinuationsAsynchronously = true };

    public Memory<byte> Batches { get; private set; }

    public OffsetRule Rule { get; private set; }

    public int? PartitionLeaderEpoch { get; private set; }

    public BatchSetSummary Summary { get; private set; }

    /// <summary>When it was submitted (<see cref="System.Diagnostics.Stopwatch"/> ticks), for <see cref="LogMetrics.AppendDuration"/>.</summary>
    public long SubmittedAt { get; private set; }

    /// <summary>Set by the writer once offsets are known.</summary>
    public long FirstOffset { get; set; }

    /// <summary>Set by the writer once offsets are known.</summary>
    public long LastOffset { get; set; }

    public static AppendRequest Rent(Memory<byte> batches, OffsetRule rule, int? partitionLeaderEpoch, in BatchSetSummary summary)
    {
        AppendRequest request = Pool.Get();
        request.Batches = batches;
        request.Rule = rule;
        request.PartitionLeaderEpoch = partitionLeaderEpoch;
        request.Summary = summary;
        request.SubmittedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        return request;
    }

    public ValueTask<AppendResult> Task => new(this, _core.Version);

    public void Complete(long logStartOffset)
    {
        LogMetrics.AppendDuration.Record(LogMetrics.MillisecondsSince(SubmittedAt));
        _core.SetResult(new AppendResult(FirstOffset, LastOffset, logStartOffset));
    }

    public void Fail(Exception error) => _core.SetException(error);

    public AppendResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            Batches = default;
            Pool.Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>A control operation run by the writer between appends; its result is a long (an offset or a count).</summary>
internal sealed class ControlCommand(Func<long> action) : WriteCommand
{
    private readonly TaskCompletionSource<long> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<long> Task => _completion.Task;

    public void Run()
    {
        try
        {
            _completion.SetResult(action());
        }
        catch (Exception error)
        {
            _completion.SetException(error);
        }
    }

    public void Fail(Exception error) => _completion.TrySetException(error);
}
