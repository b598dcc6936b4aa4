namespace Orleans.Stream.Broker.Tests.Support;

/// <summary>
/// A broker-side grain call filter that makes chosen produce requests fail the way a network does: some are lost
/// before the partition grain sees them, others after it appended (the acknowledgement is lost). Either way the
/// producer sees a timeout, which it must treat as "maybe written".
/// </summary>
internal sealed class ProduceFaults(int loseRequestEvery, int loseResponseEvery)
{
    private int _calls;
    private int _requestsLost;
    private int _responsesLost;

    public int RequestsLost => Volatile.Read(ref _requestsLost);

    public int ResponsesLost => Volatile.Read(ref _responsesLost);

    /// <summary>Switched off to let the last records through (and to read back without faults).</summary>
    public bool Enabled { get; set; } = true;

    private int _producerIdsAllocated;

    /// <summary>How many producer ids the controller handed out (a producer needs a second only when its sequence broke).</summary>
    public int ProducerIdsAllocated => Volatile.Read(ref _producerIdsAllocated);

    public async Task InvokeAsync(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.Name == nameof(IControllerGrain.AllocateProducerId))
        {
            Interlocked.Increment(ref _producerIdsAllocated);
        }

        if (!Enabled || context.InterfaceMethod?.Name != nameof(IPartitionGrain.Produce))
        {
            await context.Invoke();
            return;
        }

        int call = Interlocked.Increment(ref _calls);
        if (call % loseRequestEvery == 0)
        {
            Interlocked.Increment(ref _requestsLost);
            throw new TimeoutException($"Injected fault: produce request {call} lost before the partition saw it.");
        }

        await context.Invoke();
        if (call % loseResponseEvery == 0)
        {
            Interlocked.Increment(ref _responsesLost);
            throw new TimeoutException($"Injected fault: the answer to produce request {call} was lost after the append.");
        }
    }
}
