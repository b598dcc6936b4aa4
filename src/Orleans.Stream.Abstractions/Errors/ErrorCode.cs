namespace Orleans.Stream;

/// <summary>
/// Why a request failed. The values are the Kafka protocol's error codes, so the Kafka listener can pass them on
/// unchanged and operators can look them up in Kafka's documentation.
/// </summary>
public enum ErrorCode : short
{
    None = 0,
    OffsetOutOfRange = 1,
    CorruptMessage = 2,
    UnknownTopicOrPartition = 3,
    LeaderNotAvailable = 5,
    NotLeaderOrFollower = 6,
    RequestTimedOut = 7,
    RecordTooLarge = 10,
    CoordinatorNotAvailable = 15,
    InvalidTopic = 17,
    NotEnoughReplicas = 19,
    NotEnoughReplicasAfterAppend = 20,
    InvalidRequiredAcks = 21,
    IllegalGeneration = 22,
    InconsistentGroupProtocol = 23,
    UnknownMemberId = 25,
    InvalidSessionTimeout = 26,
    RebalanceInProgress = 27,
    UnsupportedVersion = 35,
    TopicAlreadyExists = 36,
    InvalidPartitions = 37,
    InvalidReplicationFactor = 38,
    InvalidRequest = 42,
    InvalidConfig = 40,
    OutOfOrderSequenceNumber = 45,
    InvalidProducerEpoch = 47,
    TransactionalIdAuthorizationFailed = 53,
    KafkaStorageError = 56,
    UnknownProducerId = 59,
    GroupIdNotFound = 69,
    FencedLeaderEpoch = 74,
    InvalidRecord = 87,
}
