using Microsoft.Extensions.Logging;
using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Tiering;

namespace Orleans.Stream.Broker.Tiering;

/// <summary>
/// This broker's handle on the remote tier: the blob store, the reader with its chunk cache, and each led partition's
/// manifest (kept on its <see cref="LocalPartition"/>). Disabled when the silo was given no remote store; a topic
/// with <c>remote.storage.enable=true</c> is then refused.
/// </summary>
internal sealed partial class RemoteTier(RemoteLogStore? store, RemoteReadOptions readOptions, ILogger<RemoteTier> logger)
{
    private readonly RemoteLogReader? _reader = store is null ? null : new RemoteLogReader(store, readOptions);

    public bool IsEnabled => store is not null;

    public RemoteLogStore Store => store ?? throw Disabled();

    public RemoteLogReader Reader => _reader ?? throw Disabled();

    /// <summary>The partition's manifest: the one this broker last read or wrote, else read now.</summary>
    public async ValueTask<RemoteManifest> GetManifestAsync(LocalPartition partition, CancellationToken cancellationToken = default)
    {
        if (partition.Remote is { } known)
        {
            return known;
        }

        (RemoteManifest manifest, _) = await Store.ReadManifestAsync(partition.TopicPartition, partition.TopicId, cancellationToken).ConfigureAwait(false);
        partition.Remote = manifest;
        return manifest;
    }

    /// <summary>
    /// Deletes a deleted topic's remote segments and manifests, partition by partition, retrying a few times (the
    /// controller starts it in the background: it may be many blobs, and the store may be slow or down).
    /// </summary>
    public async Task DeleteTopicAsync(TopicDescription topic)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                int blobs = 0;
                for (int partition = 0; partition < topic.Partitions.Length; partition++)
                {
                    blobs += await Store.DeletePartitionAsync(new TopicPartition(topic.Name, partition), topic.TopicId).ConfigureAwait(false);
                }

                LogRemoteDeleted(logger, topic.Name, blobs);
                return;
            }
            catch (Exception error)
            {
                LogRemoteDeleteFailed(logger, topic.Name, attempt, error.Message);
                if (attempt == 5)
                {
                    return; // what is left of a re-created name is swept as orphans by its leader
                }

                await Task.Delay(TimeSpan.FromSeconds(attempt * 10)).ConfigureAwait(false);
            }
        }
    }

    private static OrleansStreamException Disabled() =>
        new(ErrorCode.InvalidConfig, "This broker has no remote tier configured (Broker silo option: a blob store for tiering).");

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} remote blobs of deleted topic {Topic}")]
    private static partial void LogRemoteDeleted(ILogger logger, string topic, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting the remote tier's copy of deleted topic {Topic} failed (attempt {Attempt}): {Reason}")]
    private static partial void LogRemoteDeleteFailed(ILogger logger, string topic, int attempt, string reason);
}
