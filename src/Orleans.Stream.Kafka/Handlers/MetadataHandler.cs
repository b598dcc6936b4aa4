using System.Globalization;
using Orleans.Stream.Kafka.Server;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Handlers;

/// <summary>
/// Metadata: the live brokers that have a Kafka listener, and for each topic asked for (or all) its partitions with
/// leader, epoch, replicas, ISR and offline replicas, from the controller's description. Topics are not created on
/// the fly (Kafka's <c>auto.create.topics.enable</c> is off here): an unknown one is UNKNOWN_TOPIC_OR_PARTITION.
/// </summary>
internal static class MetadataHandler
{
    public static async ValueTask<Wire.MetadataResponse> HandleAsync(BrokerContext broker, Wire.MetadataRequest request)
    {
        ClusterView.Snapshot cluster = await broker.ViewForAsync(request, KnowsAll).ConfigureAwait(false);
        var response = new Wire.MetadataResponse { ClusterId = broker.Options.ClusterId, ControllerId = broker.BrokerId };
        var alive = new HashSet<int>();
        foreach (BrokerDescription description in cluster.Cluster.Brokers)
        {
            if (description.IsAlive && TryParseEndpoint(description.KafkaEndpoint, out string host, out int port))
            {
                alive.Add(description.Id);
                response.Brokers.Add(new Wire.MetadataResponse.Broker { NodeId = description.Id, Host = host, Port = port });
            }
        }

        if (request.Topics is null)
        {
            foreach (TopicDescription topic in cluster.Cluster.Topics)
            {
                response.Topics.Add(Describe(topic, alive));
            }
        }
        else
        {
            foreach (Wire.MetadataRequest.RequestTopic asked in request.Topics)
            {
                TopicDescription? topic = asked.Name is { } name ? cluster.Topic(name) : null;
                response.Topics.Add(topic is null
                    ? new Wire.MetadataResponse.Topic { Name = asked.Name, TopicId = asked.TopicId, ErrorCode = (short)ErrorCode.UnknownTopicOrPartition }
                    : Describe(topic, alive));
            }
        }

        return response;
    }

    private static bool KnowsAll(BrokerContext broker, ClusterView.Snapshot cluster, Wire.MetadataRequest request)
    {
        if (request.Topics is not null)
        {
            foreach (Wire.MetadataRequest.RequestTopic asked in request.Topics)
            {
                if (asked.Name is { } name && cluster.Topic(name) is null)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static Wire.MetadataResponse.Topic Describe(TopicDescription topic, HashSet<int> alive)
    {
        var described = new Wire.MetadataResponse.Topic { Name = topic.Name, TopicId = topic.TopicId };
        foreach (PartitionDescription partition in topic.Partitions)
        {
            var offline = new List<int>();
            foreach (int replica in partition.Replicas)
            {
                if (!alive.Contains(replica))
                {
                    offline.Add(replica);
                }
            }

            described.Partitions.Add(new Wire.MetadataResponse.Partition
            {
                ErrorCode = (short)(partition.Leader == PartitionDescription.NoLeader ? ErrorCode.LeaderNotAvailable : ErrorCode.None),
                PartitionIndex = partition.Partition,
                LeaderId = partition.Leader,
                LeaderEpoch = partition.LeaderEpoch,
                ReplicaNodes = [.. partition.Replicas],
                IsrNodes = [.. partition.Isr],
                OfflineReplicas = offline,
            });
        }

        return described;
    }

    private static bool TryParseEndpoint(string endpoint, out string host, out int port)
    {
        int colon = endpoint.LastIndexOf(':');
        host = colon > 0 ? endpoint[..colon] : "";
        port = 0;
        return colon > 0 && int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port);
    }
}
