using System.Globalization;

namespace Orleans.Stream.Storage;

/// <summary>
/// The per-log settings, under Kafka's topic config names. Immutable; <see cref="FromProperties"/> parses and
/// validates a name → value map as a topic carries it.
/// </summary>
public sealed record LogConfig
{
    public const string SegmentBytesName = "segment.bytes";
    public const string SegmentMsName = "segment.ms";
    public const string RetentionMsName = "retention.ms";
    public const string RetentionBytesName = "retention.bytes";
    public const string MaxMessageBytesName = "max.message.bytes";
    public const string FlushPolicyName = "flush.policy";
    public const string FlushMsName = "flush.ms";
    public const string IndexIntervalBytesName = "index.interval.bytes";
    public const string RemoteStorageEnableName = "remote.storage.enable";
    public const string LocalRetentionMsName = "local.retention.ms";
    public const string LocalRetentionBytesName = "local.retention.bytes";

    /// <summary>The value of <see cref="LocalRetentionMs"/> and <see cref="LocalRetentionBytes"/> that means "as the whole log's" (Kafka's -2).</summary>
    public const long SameAsTotal = -2;

    /// <summary>The names <see cref="FromProperties"/> understands.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        SegmentBytesName, SegmentMsName, RetentionMsName, RetentionBytesName, MaxMessageBytesName, FlushPolicyName,
        FlushMsName, IndexIntervalBytesName, RemoteStorageEnableName, LocalRetentionMsName, LocalRetentionBytesName,
    ];

    public static LogConfig Default { get; } = new();

    /// <summary>Roll the active segment before it would pass this size. Kafka's default: 1 GiB.</summary>
    public int SegmentBytes { get; init; } = 1024 * 1024 * 1024;

    /// <summary>Roll the active segment once its first batch is this old. Kafka's default: 7 days.</summary>
    public long SegmentMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    /// <summary>Delete sealed segments whose newest record is older than this; -1 keeps them forever. Default 7 days.</summary>
    public long RetentionMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    /// <summary>Delete the oldest sealed segments while the log is larger than this; -1 means no size limit.</summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary>Largest batch the log accepts, header included. Kafka's default: 1 MiB + 12.</summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024 + 12;

    public FlushPolicy FlushPolicy { get; init; } = FlushPolicy.GroupCommit;

    /// <summary>With <see cref="FlushPolicy.Replicated"/>: how often the background flush runs.</summary>
    public long FlushMs { get; init; } = 1000;

    /// <summary>Bytes between two entries of the sparse offset index. Kafka's default: 4096.</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary>
    /// Tier sealed segments to the remote store. Then <see cref="RetentionMs"/> and <see cref="RetentionBytes"/> bound the
    /// whole log (local and remote), the local ones bound what stays on disk, and no local segment goes before it is remote.
    /// </summary>
    public bool RemoteStorageEnable { get; init; }

    /// <summary>With remote storage: how long a tiered segment stays on local disk; <see cref="SameAsTotal"/> (default): <see cref="RetentionMs"/>.</summary>
    public long LocalRetentionMs { get; init; } = SameAsTotal;

    /// <summary>With remote storage: how many bytes of tiered segments stay on local disk; <see cref="SameAsTotal"/> (default): <see cref="RetentionBytes"/>.</summary>
    public long LocalRetentionBytes { get; init; } = SameAsTotal;

    /// <summary>What local retention keeps by time: <see cref="LocalRetentionMs"/> with remote storage, else <see cref="RetentionMs"/>.</summary>
    public long EffectiveLocalRetentionMs => RemoteStorageEnable && LocalRetentionMs != SameAsTotal ? LocalRetentionMs : RetentionMs;

    /// <summary>What local retention keeps by size: <see cref="LocalRetentionBytes"/> with remote storage, else <see cref="RetentionBytes"/>.</summary>
    public long EffectiveLocalRetentionBytes => RemoteStorageEnable && LocalRetentionBytes != SameAsTotal ? LocalRetentionBytes : RetentionBytes;

    public static string FormatFlushPolicy(FlushPolicy policy) => policy switch
    {
        FlushPolicy.GroupCommit => "group-commit",
        FlushPolicy.Replicated => "replicated",
        _ => throw new ArgumentOutOfRangeException(nameof(policy)),
    };

    /// <summary>
    /// Builds a config from Kafka-named properties, starting from <paramref name="defaults"/> (or <see cref="Default"/>).
    /// Names this type does not know are ignored (topics carry others, such as <c>partitions</c>); values that do not
    /// parse or are out of range throw <see cref="ArgumentException"/> naming the property.
    /// </summary>
    public static LogConfig FromProperties(IEnumerable<KeyValuePair<string, string>> properties, LogConfig? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(properties);
        LogConfig config = defaults ?? Default;
        foreach ((string name, string value) in properties)
        {
            config = name switch
            {
                SegmentBytesName => config with { SegmentBytes = ParseInt(name, value) },
                SegmentMsName => config with { SegmentMs = ParseLong(name, value) },
                RetentionMsName => config with { RetentionMs = ParseLong(name, value) },
                RetentionBytesName => config with { RetentionBytes = ParseLong(name, value) },
                MaxMessageBytesName => config with { MaxMessageBytes = ParseInt(name, value) },
                FlushPolicyName => config with { FlushPolicy = ParsePolicy(value) },
                FlushMsName => config with { FlushMs = ParseLong(name, value) },
                IndexIntervalBytesName => config with { IndexIntervalBytes = ParseInt(name, value) },
                RemoteStorageEnableName => config with { RemoteStorageEnable = ParseBool(name, value) },
                LocalRetentionMsName => config with { LocalRetentionMs = ParseLong(name, value) },
                LocalRetentionBytesName => config with { LocalRetentionBytes = ParseLong(name, value) },
                _ => config,
            };
        }

        config.Validate();
        return config;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        // 14 bytes is Kafka's floor for segment.bytes; a batch larger than a segment simply gets a segment to itself.
        Require(SegmentBytes >= 14, SegmentBytesName, SegmentBytes, "at least 14");
        Require(SegmentMs >= 1, SegmentMsName, SegmentMs, "at least 1");
        Require(RetentionMs >= -1, RetentionMsName, RetentionMs, "-1 (forever) or at least 0");
        Require(RetentionBytes >= -1, RetentionBytesName, RetentionBytes, "-1 (no limit) or at least 0");
        Require(MaxMessageBytes >= Format.RecordBatchLayout.HeaderSize, MaxMessageBytesName, MaxMessageBytes, $"at least {Format.RecordBatchLayout.HeaderSize}");
        Require(FlushMs >= 1, FlushMsName, FlushMs, "at least 1");
        Require(IndexIntervalBytes >= 0, IndexIntervalBytesName, IndexIntervalBytes, "at least 0");
        Require(LocalRetentionMs >= SameAsTotal, LocalRetentionMsName, LocalRetentionMs, "-2 (as retention.ms), -1 (forever) or at least 0");
        Require(LocalRetentionBytes >= SameAsTotal, LocalRetentionBytesName, LocalRetentionBytes, "-2 (as retention.bytes), -1 (no limit) or at least 0");

        // As Kafka: the local copy cannot be kept longer (or larger) than the whole log.
        Require(!Exceeds(LocalRetentionMs, RetentionMs), LocalRetentionMsName, LocalRetentionMs, $"at most retention.ms ({RetentionMs.ToString(CultureInfo.InvariantCulture)})");
        Require(!Exceeds(LocalRetentionBytes, RetentionBytes), LocalRetentionBytesName, LocalRetentionBytes, $"at most retention.bytes ({RetentionBytes.ToString(CultureInfo.InvariantCulture)})");
        if (!Enum.IsDefined(FlushPolicy))
        {
            throw new ArgumentException($"{FlushPolicyName} has an unknown value {(int)FlushPolicy}.");
        }
    }

    /// <summary>Whether a local limit keeps more than the total one (-1 is "no limit", -2 "as the total").</summary>
    private static bool Exceeds(long local, long total) =>
        local != SameAsTotal && total != -1 && (local == -1 || local > total);

    private static void Require(bool ok, string name, long value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"{name}={value.ToString(CultureInfo.InvariantCulture)} is invalid: it must be {rule}.");
        }
    }

    private static int ParseInt(string name, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new ArgumentException($"{name}='{value}' is not a 32-bit integer.");

    private static long ParseLong(string name, string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long result)
            ? result
            : throw new ArgumentException($"{name}='{value}' is not a 64-bit integer.");

    private static bool ParseBool(string name, string value) =>
        bool.TryParse(value, out bool result) ? result : throw new ArgumentException($"{name}='{value}' is neither true nor false.");

    private static FlushPolicy ParsePolicy(string value) => value switch
    {
        "group-commit" => FlushPolicy.GroupCommit,
        "replicated" => FlushPolicy.Replicated,
        _ => throw new ArgumentException($"{FlushPolicyName}='{value}' is not one of: group-commit, replicated."),
    };
}
