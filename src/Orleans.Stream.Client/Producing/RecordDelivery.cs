using System.Threading.Tasks.Sources;
using Microsoft.Extensions.ObjectPool;

namespace Orleans.Stream.Client.Producing;

/// <summary>
/// What one <c>ProduceAsync</c> call awaits: pooled and completed through <see cref="IValueTaskSource{TResult}"/>,
/// so producing a record allocates no task, state machine or closure. Its batch completes every record's delivery
/// at once. Continuations run inline on the thread that completes the batch, as Kafka runs send callbacks on its
/// I/O thread: cheap for the common case, so code awaiting a delivery should hand heavy work elsewhere.
/// </summary>
internal sealed class RecordDelivery : IValueTaskSource<DeliveryResult>
{
    private static readonly ObjectPool<RecordDelivery> Pool =
        new DefaultObjectPool<RecordDelivery>(new DefaultPooledObjectPolicy<RecordDelivery>(), maximumRetained: 64 * 1024);

    private ManualResetValueTaskSourceCore<DeliveryResult> _core = new() { RunContinuationsAsynchronously = false };

    public long Timestamp { get; private set; }

    public static RecordDelivery Rent(long timestamp)
    {
        RecordDelivery delivery = Pool.Get();
        delivery.Timestamp = timestamp;
        return delivery;
    }

    public ValueTask<DeliveryResult> Task => new(this, _core.Version);

    public void Complete(in DeliveryResult result) => _core.SetResult(result);

    public void Fail(Exception error) => _core.SetException(error);

    public DeliveryResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            Pool.Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
