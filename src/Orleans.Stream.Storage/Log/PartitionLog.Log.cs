using Microsoft.Extensions.Logging;

namespace Orleans.Stream.Storage;

public sealed partial class PartitionLog
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Opened log {Directory}: offsets {LogStartOffset}..{LogEndOffset} in {SegmentCount} segments")]
        public static partial void Opened(ILogger logger, string directory, long logStartOffset, long logEndOffset, int segmentCount);

        [LoggerMessage(2, LogLevel.Warning, "Recovery cut {Segment} from {FileLength} to {ValidBytes} bytes: {Problem}")]
        public static partial void TruncatedTornTail(ILogger logger, string segment, long validBytes, long fileLength, string problem);

        [LoggerMessage(3, LogLevel.Warning, "Recovery deleted {Segment}, which followed a torn segment")]
        public static partial void DeletedSegmentAfterTornTail(ILogger logger, string segment);

        [LoggerMessage(4, LogLevel.Error, "Log {Directory} is offline after an I/O error")]
        public static partial void WentOffline(ILogger logger, string directory, Exception error);

        [LoggerMessage(5, LogLevel.Information, "Retention deleted {Count} segments of {Directory}; log start offset is now {LogStartOffset}")]
        public static partial void DeletedSegments(ILogger logger, int count, string directory, long logStartOffset);

        [LoggerMessage(6, LogLevel.Information, "Truncated {Directory} to offset {Offset}")]
        public static partial void Truncated(ILogger logger, string directory, long offset);

        [LoggerMessage(7, LogLevel.Warning, "Could not write the producer state snapshot of {Directory} at offset {Offset}; a restart reads more of the log instead")]
        public static partial void ProducerSnapshotFailed(ILogger logger, string directory, long offset, Exception error);

        [LoggerMessage(8, LogLevel.Warning, "The leader-epoch cache of {Directory} was missing or damaged; rebuilt {EpochCount} epochs from the batch headers")]
        public static partial void RebuiltLeaderEpochs(ILogger logger, string directory, int epochCount);
    }
}
