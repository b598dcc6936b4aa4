namespace Orleans.Stream.Client.Producing;

/// <summary>Where a producer batch is on its way to the partition leader.</summary>
internal enum BatchState
{
    /// <summary>Being filled, or sealed and waiting for its first send.</summary>
    Queued,

    /// <summary>A request carrying it is on its way.</summary>
    InFlight,

    /// <summary>A send failed in a way another attempt may cure; it goes again, in sequence order.</summary>
    AwaitingRetry,

    /// <summary>Acknowledged while an earlier batch is not: it still counts against the partition's window.</summary>
    Acknowledged,
}
