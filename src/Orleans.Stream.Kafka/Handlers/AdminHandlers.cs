using Orleans.Stream.Kafka.Server;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Handlers;

/// <summary>
/// CreateTopics, DeleteTopics, CreatePartitions and DescribeConfigs, through the controller grain (the same rules
/// and errors as <c>ostream topic</c>). Placement is the controller's: explicit replica assignments are refused.
/// Defaults as a Kafka broker's: one partition and a replication factor of one when the request leaves them open.
/// </summary>
internal static class AdminHandlers
{
    /// <summary>DescribeConfigs' source of a value set on the topic (Kafka's DYNAMIC_TOPIC_CONFIG).</summary>
    private const sbyte TopicConfigSource = 1;

    private const sbyte TopicResource = 2;
    private const sbyte BrokerResource = 4;

    public static async ValueTask<Wire.CreateTopicsResponse> CreateTopicsAsync(BrokerContext broker, Wire.CreateTopicsRequest request)
    {
        var response = new Wire.CreateTopicsResponse();
        foreach (Wire.CreateTopicsRequest.Topic topic in request.Topics)
        {
            var answer = new Wire.CreateTopicsResponse.Topic { Name = topic.Name };
            response.Topics.Add(answer);
            var configs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Wire.CreateTopicsRequest.Config config in topic.Configs)
            {
                if (config.Value is { } value)
                {
                    configs[config.Name] = value;
                }
            }

            if (topic.Assignments.Count > 0)
            {
                (answer.ErrorCode, answer.ErrorMessage) = ((short)ErrorCode.InvalidRequest, "Explicit replica assignments are not supported: the controller places replicas.");
                continue;
            }

            int partitions = topic.NumPartitions == -1 ? 1 : topic.NumPartitions;
            short replicationFactor = topic.ReplicationFactor == -1 ? (short)1 : topic.ReplicationFactor;
            if (request.ValidateOnly)
            {
                (answer.NumPartitions, answer.ReplicationFactor) = (partitions, replicationFactor);
                continue;
            }

            try
            {
                TopicDescription created = await broker.Grains.GetGrain<IControllerGrain>(0)
                    .CreateTopic(new CreateTopicRequest(topic.Name, partitions, replicationFactor, configs)).ConfigureAwait(false);
                answer.NumPartitions = created.Partitions.Length;
                answer.ReplicationFactor = (short)created.ReplicationFactor;
                answer.Configs = Configs(created.Configs, keys: null, static (name, value) => new Wire.CreateTopicsResponse.Config { Name = name, Value = value, ConfigSource = TopicConfigSource });
            }
            catch (OrleansStreamException error)
            {
                (answer.ErrorCode, answer.ErrorMessage) = ((short)error.Code, error.Message);
            }
        }

        broker.Cluster.Invalidate();
        return response;
    }

    public static async ValueTask<Wire.DeleteTopicsResponse> DeleteTopicsAsync(BrokerContext broker, Wire.DeleteTopicsRequest request)
    {
        var response = new Wire.DeleteTopicsResponse();
        foreach (string name in request.TopicNames)
        {
            var answer = new Wire.DeleteTopicsResponse.Result { Name = name };
            response.Responses.Add(answer);
            try
            {
                await broker.Grains.GetGrain<IControllerGrain>(0).DeleteTopic(name).ConfigureAwait(false);
            }
            catch (OrleansStreamException error)
            {
                (answer.ErrorCode, answer.ErrorMessage) = ((short)error.Code, error.Message);
            }
        }

        broker.Cluster.Invalidate();
        return response;
    }

    public static async ValueTask<Wire.CreatePartitionsResponse> CreatePartitionsAsync(BrokerContext broker, Wire.CreatePartitionsRequest request)
    {
        var response = new Wire.CreatePartitionsResponse();
        IControllerGrain controller = broker.Grains.GetGrain<IControllerGrain>(0);
        foreach (Wire.CreatePartitionsRequest.Topic topic in request.Topics)
        {
            var answer = new Wire.CreatePartitionsResponse.Result { Name = topic.Name };
            response.Results.Add(answer);
            try
            {
                if (topic.Assignments is not null)
                {
                    throw new OrleansStreamException(ErrorCode.InvalidRequest, "Explicit replica assignments are not supported: the controller places replicas.");
                }

                TopicDescription current = await controller.DescribeTopic(topic.Name).ConfigureAwait(false)
                    ?? throw new OrleansStreamException(ErrorCode.UnknownTopicOrPartition, $"Topic '{topic.Name}' does not exist.");
                if (topic.Count <= current.Partitions.Length)
                {
                    throw new OrleansStreamException(ErrorCode.InvalidPartitions, $"Topic '{topic.Name}' has {current.Partitions.Length} partitions; it can only grow.");
                }

                if (!request.ValidateOnly)
                {
                    await controller.CreatePartitions(topic.Name, topic.Count).ConfigureAwait(false);
                }
            }
            catch (OrleansStreamException error)
            {
                (answer.ErrorCode, answer.ErrorMessage) = ((short)error.Code, error.Message);
            }
        }

        broker.Cluster.Invalidate();
        return response;
    }

    public static async ValueTask<Wire.DescribeConfigsResponse> DescribeConfigsAsync(BrokerContext broker, Wire.DescribeConfigsRequest request)
    {
        var response = new Wire.DescribeConfigsResponse();
        foreach (Wire.DescribeConfigsRequest.Resource resource in request.Resources)
        {
            var result = new Wire.DescribeConfigsResponse.Result { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            response.Results.Add(result);
            if (resource.ResourceType == BrokerResource)
            {
                continue; // broker settings are not Kafka's: none to show
            }

            if (resource.ResourceType != TopicResource)
            {
                (result.ErrorCode, result.ErrorMessage) = ((short)ErrorCode.InvalidRequest, $"Resource type {resource.ResourceType} is not supported (topics: 2, brokers: 4).");
                continue;
            }

            TopicDescription? topic = await broker.Grains.GetGrain<IControllerGrain>(0).DescribeTopic(resource.ResourceName).ConfigureAwait(false);
            if (topic is null)
            {
                (result.ErrorCode, result.ErrorMessage) = ((short)ErrorCode.UnknownTopicOrPartition, $"Topic '{resource.ResourceName}' does not exist.");
                continue;
            }

            result.Configs = Configs(topic.Configs, resource.ConfigurationKeys, static (name, value) => new Wire.DescribeConfigsResponse.Config { Name = name, Value = value, ConfigSource = TopicConfigSource });
        }

        return response;
    }

    /// <summary>The topic's set configs (those named in <paramref name="keys"/> when given), sorted by name.</summary>
    private static List<T> Configs<T>(Dictionary<string, string> configs, List<string>? keys, Func<string, string, T> entry)
    {
        var names = new List<string>(configs.Keys);
        names.Sort(StringComparer.Ordinal);
        var result = new List<T>(names.Count);
        foreach (string name in names)
        {
            if (keys is null || keys.Contains(name))
            {
                result.Add(entry(name, configs[name]));
            }
        }

        return result;
    }
}
