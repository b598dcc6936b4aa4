using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Tiering;

namespace Orleans.Stream.Broker.Tiering;

/// <summary>
/// This broker's handle on the remote tier: the blob store, the reader with its chunk cache, and each led partition's
/// manifest (kept on its <see cref="LocalPartition"/>). Disabled when the silo was given no remote store; a topic
/// with <c>remote.storage.enable=true</c> is then refused.
/// </summary>
internal sealed class RemoteTier(RemoteLogStore? store, RemoteReadOptions? readOptions = null)
{
    private readonly RemoteLogReader? _reader = store is null ? null : new RemoteLogReader(store, readOptions ?? new RemoteReadOptions());

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

    private static OrleansStreamException Disabled() =>
        new(ErrorCode.InvalidConfig, "This broker has no remote tier configured (Broker silo option: a blob store for tiering).");
}
