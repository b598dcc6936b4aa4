namespace Orleans.Stream.Broker;

/// <summary>Who this broker is and where it keeps its logs (configuration section <c>Broker</c>).</summary>
public sealed class BrokerOptions
{
    public const string SectionName = "Broker";

    /// <summary>
    /// The broker's stable id (<c>Broker:Id</c>): the same across restarts, unlike the silo address. In Kubernetes
    /// it is the StatefulSet ordinal, locally the AppHost's broker number.
    /// </summary>
    public int Id { get; set; } = -1;

    /// <summary>The directory holding one sub-directory per partition replica (<c>Broker:DataDir</c>).</summary>
    public string DataDir { get; set; } = "";

    /// <summary>How often retention runs over every local log (Kafka's <c>log.retention.check.interval.ms</c>).</summary>
    public TimeSpan RetentionCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often each log rewrites its recovery checkpoint (Kafka's <c>log.flush.offset.checkpoint.interval.ms</c>,
    /// also 60 s). Each write costs two fsyncs on the disk the acknowledgements wait on; a longer interval only means
    /// recovery after a crash rescans more of the tail (at GB/s).
    /// </summary>
    public TimeSpan RecoveryCheckpointInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest a fetch may wait for new data, whatever it asks; well below the 30 s grain call timeout.</summary>
    public TimeSpan MaxFetchWait { get; set; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        if (Id < 0)
        {
            throw new InvalidOperationException($"{SectionName}:Id must be set to a non-negative broker id (got {Id}).");
        }

        if (string.IsNullOrWhiteSpace(DataDir))
        {
            throw new InvalidOperationException($"{SectionName}:DataDir must name the directory this broker keeps its logs in.");
        }
    }
}
