using System.CommandLine;

namespace Orleans.Stream.Cli.Commands;

/// <summary><c>ostream cluster describe</c>.</summary>
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

        var cluster = new Command("cluster", "Inspect the cluster");
        cluster.Subcommands.Add(describe);
        return cluster;
    }
}
