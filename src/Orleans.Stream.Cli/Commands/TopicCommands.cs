using System.CommandLine;
using Orleans.Stream.Client;

namespace Orleans.Stream.Cli.Commands;

/// <summary><c>ostream topic create | list | describe | delete</c>.</summary>
internal static class TopicCommands
{
    public static Command Build()
    {
        var topic = new Command("topic", "Create, list, describe and delete topics");
        topic.Subcommands.Add(Create());
        topic.Subcommands.Add(List());
        topic.Subcommands.Add(Describe());
        topic.Subcommands.Add(Delete());
        return topic;
    }

    private static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "Topic name: 1-249 of [a-zA-Z0-9._-]" };
        var partitions = new Option<int>("--partitions") { Description = "Number of partitions", DefaultValueFactory = _ => 1 };
        var replication = new Option<short>("--replication-factor") { Description = "Replicas per partition", DefaultValueFactory = _ => 1 };
        var configs = new Option<string[]>("--config")
        {
            Description = "A topic config as key=value (Kafka names: retention.ms, segment.bytes, flush.policy, ...); repeatable",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("create", "Create a topic") { name, partitions, replication, configs };
        command.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, async context =>
        {
            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string pair in parse.GetValue(configs) ?? [])
            {
                int equals = pair.IndexOf('=');
                if (equals <= 0)
                {
                    throw new CliException($"--config '{pair}' is not key=value.");
                }

                settings[pair[..equals].Trim()] = pair[(equals + 1)..].Trim();
            }

            TopicDescription created = await context.Client.Admin.CreateTopicAsync(parse.GetValue(name)!, parse.GetValue(partitions), parse.GetValue(replication), settings);
            await context.Out.WriteLineAsync($"Created topic {created.Name} with {created.Partitions.Length} partition(s), replication factor {created.ReplicationFactor}.");
            return 0;
        }, cancellation));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List topic names");
        command.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, async context =>
        {
            foreach (string topic in await context.Client.Admin.ListTopicsAsync())
            {
                await context.Out.WriteLineAsync(topic);
            }

            return 0;
        }, cancellation));
        return command;
    }

    private static Command Describe()
    {
        var name = new Argument<string>("NAME") { Description = "Topic name" };
        var command = new Command("describe", "Show a topic's configs and, per partition, leader, replicas, ISR and offsets") { name };
        command.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, async context =>
        {
            TopicDescription topic = await context.Client.Admin.DescribeTopicAsync(parse.GetValue(name)!);
            await Describe(context, topic);
            return 0;
        }, cancellation));
        return command;
    }

    /// <summary>Prints one topic the way <c>kafka-topics --describe</c> does, plus each partition's offsets and size.</summary>
    internal static async Task Describe(OrleansStreamClientContext context, TopicDescription topic)
    {
        TextWriter output = context.Out;
        string configs = topic.Configs.Count == 0 ? "(defaults)" : string.Join(",", topic.Configs.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}"));
        await output.WriteLineAsync($"Topic: {topic.Name}\tTopicId: {topic.TopicId}\tPartitionCount: {topic.Partitions.Length}\tReplicationFactor: {topic.ReplicationFactor}\tConfigs: {configs}");
        foreach (PartitionDescription partition in topic.Partitions)
        {
            string offsets;
            try
            {
                PartitionState state = await context.Client.Admin.DescribePartitionAsync(new TopicPartition(topic.Name, partition.Partition));
                offsets = $"LogStartOffset: {state.LogStartOffset}\tHighWatermark: {state.HighWatermark}\tLogEndOffset: {state.LogEndOffset}\tSize: {state.SizeInBytes}\tSegments: {state.SegmentCount}";
            }
            catch (OrleansStreamException error)
            {
                offsets = $"Offsets: unavailable ({error.Code})";
            }

            await output.WriteLineAsync(
                $"\tPartition: {partition.Partition}\tLeader: {partition.Leader}\tLeaderEpoch: {partition.LeaderEpoch}\tReplicas: {string.Join(",", partition.Replicas)}\tIsr: {string.Join(",", partition.Isr)}\t{offsets}");
        }
    }

    private static Command Delete()
    {
        var name = new Argument<string>("NAME") { Description = "Topic name" };
        var command = new Command("delete", "Delete a topic and its data on every broker") { name };
        command.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, async context =>
        {
            string topic = parse.GetValue(name)!;
            await context.Client.Admin.DeleteTopicAsync(topic);
            await context.Out.WriteLineAsync($"Deleted topic {topic}.");
            return 0;
        }, cancellation));
        return command;
    }
}
