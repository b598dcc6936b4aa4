using Microsoft.Extensions.Time.Testing;

namespace Orleans.Stream.Storage.Tests.Support;

/// <summary>A temp directory with a fake clock, for opening, closing and reopening a log.</summary>
internal sealed class LogFixture : IDisposable
{
    private readonly TempDirectory _temp = new();

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(Batches.T0));

    public string Directory => _temp.Sub("topic-0");

    public long NowMs => Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A second log's directory, for a follower replica of the one in <see cref="Directory"/>.</summary>
    public string FollowerDirectory => _temp.Sub("topic-0-follower");

    public PartitionLog Open(LogConfig? config = null, bool autoHighWatermark = true) => Open(Directory, config, autoHighWatermark);

    public PartitionLog OpenFollower(LogConfig? config = null) => Open(FollowerDirectory, config, autoHighWatermark: true);

    public string SegmentPath(long baseOffset, string extension = ".log") => Path.Combine(Directory, baseOffset.ToString("D20") + extension);

    public void Dispose() => _temp.Dispose();

    private PartitionLog Open(string directory, LogConfig? config, bool autoHighWatermark) =>
        PartitionLog.Open(directory, config ?? new LogConfig(), new PartitionLogOptions { Time = Clock, AutoAdvanceHighWatermark = autoHighWatermark, CheckpointInterval = TimeSpan.FromHours(1) });
}
