using System.CommandLine;
using Orleans.Stream.Client;

namespace Orleans.Stream.Cli.Commands;

/// <summary><c>ostream topic create | list | describe | delete | reassign</c>.</summary>
internal static class TopicCommands
{
    public static Command Build()
    {
        var topic = new Command("topic", "Create, list, describe, delete topics and move their replicas");
        topic.Subcommands.Add(Create());
        topic.Subcommands.Add(List());
        topic.Subcommands.Add(Describe());
        topic.Subcommands.Add(Delete());
        topic.Subcommands.Add(Reassign());
        topic.Subcommands.Add(Alter());
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
                if (state.Remote is { } remote)
                {
                    // Local figures above are this leader's disk; the remote tier holds the older part of the log.
                    offsets += $"\tRemoteLogStartOffset: {remote.LogStartOffset}\tRemoteEndOffset: {remote.EndOffset}\tRemoteSize: {remote.SizeInBytes}\tRemoteSegments: {remote.SegmentCount}";
                }
            }
            catch (OrleansStreamException error)
            {
                offsets = $"Offsets: unavailable ({error.Code})";
            }

            await output.WriteLineAsync($"{PartitionLine.Format(partition)}\t{offsets}");
        }
    }

    private static Command Reassign()
    {
        var name = new Argument<string>("NAME") { Description = "Topic name" };
        var replicas = new Option<string>("--replicas") { Description = "The brokers to hold the replicas, comma-separated, preferred leader first (e.g. 2,0,1)", Required = true };
        var partition = new Option<int?>("--partition") { Description = "The partition to move (default: every partition of the topic)" };
        var command = new Command("reassign", "Move partition replicas to other brokers: the new ones copy the log, then the old ones let go") { name, replicas, partition };
        command.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, async context =>
        {
            string topicName = parse.GetValue(name)!;
            int[] brokers = ParseBrokers(parse.GetValue(replicas)!);
            TopicDescription topic = await context.Client.Admin.DescribeTopicAsync(topicName);
            int[] partitions = parse.GetValue(partition) is int one ? [one] : [.. topic.Partitions.Select(p => p.Partition)];
            foreach (int p in partitions)
            {
                PartitionDescription moved = await context.Client.Admin.ReassignPartitionAsync(new TopicPartition(topicName, p), brokers);
                await context.Out.WriteLineAsync(moved.TargetReplicas is null
                    ? $"{topicName}/{p}: replicas are {string.Join(",", moved.Replicas)}, leader {moved.Leader}."
                    : $"{topicName}/{p}: moving to {string.Join(",", moved.TargetReplicas)}; done once they are in sync (see topic describe).");
            }

            return 0;
        }, cancellation));
        return command;
    }

    private static Command Alter()
    {
        var name = new Argument<string>("NAME") { Description = "Topic name" };
        var partitions = new Option<int>("--partitions") { Description = "The new partition count (topics only grow)", Required = true };
        var command = new Command("alter", "Add partitions to a topic (keyed records produced from then on may map to other partitions)") { name, partitions };
        command.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, async context =>
        {
            TopicDescription grown = await context.Client.Admin.CreatePartitionsAsync(parse.GetValue(name)!, parse.GetValue(partitions));
            await context.Out.WriteLineAsync($"Topic {grown.Name} now has {grown.Partitions.Length} partitions.");
            return 0;
        }, cancellation));
        return command;
    }

    private static int[] ParseBrokers(string list)
    {
        string[] parts = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var brokers = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out brokers[i]))
            {
                throw new CliException($"--replicas '{list}' is not a comma-separated list of broker ids.");
            }
        }

        return brokers;
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
