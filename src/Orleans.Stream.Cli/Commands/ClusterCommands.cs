using System.CommandLine;
using Orleans.Stream.Client;

namespace Orleans.Stream.Cli.Commands;

/// <summary><c>ostream cluster describe | rebalance</c>.</summary>
internal static class ClusterCommands
{
    public static Command Build()
    {
        var describe = new Command("describe", "Show the brokers and every topic's partitions, leaders and ISR");
        describe.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, async context =>
        {
            ClusterDescription cluster = await context.Client.Admin.DescribeClusterAsync();
            await context.Out.WriteLineAsync($"Brokers: {cluster.Brokers.Count(b => b.IsAlive)} alive of {cluster.Brokers.Length}");
            foreach (BrokerDescription broker in cluster.Brokers)
            {
                string silo = broker.IsAlive ? broker.SiloAddress : "-";
                string gateway = broker.IsAlive && broker.Gateway.Length > 0 ? broker.Gateway : "-";
                await context.Out.WriteLineAsync($"\tBroker: {broker.Id}\tAlive: {(broker.IsAlive ? "yes" : "NO")}\tSilo: {silo}\tGateway: {gateway}\tLeaders: {broker.Leaders}\tReplicas: {broker.Replicas}");
            }

            int underReplicated = cluster.Topics.Sum(t => t.Partitions.Count(p => p.IsUnderReplicated));
            await context.Out.WriteLineAsync($"Topics: {cluster.Topics.Length}\tUnderReplicatedPartitions: {underReplicated}");
            var alive = new HashSet<int>(cluster.Brokers.Where(b => b.IsAlive).Select(b => b.Id));
            foreach (TopicDescription topic in cluster.Topics)
            {
                await context.Out.WriteLineAsync($"Topic: {topic.Name}\tPartitionCount: {topic.Partitions.Length}\tReplicationFactor: {topic.ReplicationFactor}");
                foreach (PartitionDescription partition in topic.Partitions)
                {
                    await context.Out.WriteLineAsync(PartitionLine.Format(partition, alive));
                }
            }

            return 0;
        }, cancellation));

        var cluster = new Command("cluster", "Inspect the cluster, and even it out after adding a broker");
        cluster.Subcommands.Add(describe);
        cluster.Subcommands.Add(Rebalance());
        return cluster;
    }

    private static Command Rebalance()
    {
        var execute = new Option<bool>("--execute") { Description = "Start the moves (without it, only print the plan)" };
        var command = new Command("rebalance", "Plan (and with --execute, start) the replica moves that even out the live brokers, e.g. after adding one") { execute };
        command.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, async context =>
        {
            IReadOnlyList<PartitionMove> moves = await context.Client.Admin.PlanRebalanceAsync();
            if (moves.Count == 0)
            {
                await context.Out.WriteLineAsync("The live brokers are balanced: nothing to move.");
                return 0;
            }

            foreach (PartitionMove move in moves)
            {
                await context.Out.WriteLineAsync($"{move.Partition}: {string.Join(",", move.From)} -> {string.Join(",", move.To)}");
            }

            if (!parse.GetValue(execute))
            {
                await context.Out.WriteLineAsync($"{moves.Count} moves planned; run again with --execute to start them.");
                return 0;
            }

            foreach (PartitionMove move in moves)
            {
                await context.Client.Admin.ReassignPartitionAsync(move.Partition, move.To);
            }

            await context.Out.WriteLineAsync($"{moves.Count} moves started: new replicas copy the logs, then the old ones let go (see cluster describe).");
            return 0;
        }, cancellation));
        return command;
    }
}
