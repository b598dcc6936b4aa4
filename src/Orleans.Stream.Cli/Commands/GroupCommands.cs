using System.CommandLine;
using Orleans.Stream.Client;

namespace Orleans.Stream.Cli.Commands;

/// <summary><c>ostream group list</c> and <c>ostream group describe G</c>.</summary>
internal static class GroupCommands
{
    public static Command Build()
    {
        var list = new Command("list", "List the consumer groups");
        list.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, async context =>
        {
            foreach (string group in await context.Client.Admin.ListGroupsAsync())
            {
                await context.Out.WriteLineAsync(group);
            }

            return 0;
        }, cancellation));

        var name = new Argument<string>("GROUP") { Description = "Consumer group id" };
        var describe = new Command("describe", "Show a group's state, members, and per partition its committed offset, end offset and lag") { name };
        describe.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, async context =>
        {
            ConsumerGroupDescription group = await context.Client.Admin.DescribeGroupAsync(parse.GetValue(name)!);
            await context.Out.WriteLineAsync(
                $"Group: {group.GroupId}\tState: {group.State}\tGeneration: {group.GenerationId}\tProtocol: {group.Protocol ?? "-"}\tMembers: {group.Members.Count}\tTotalLag: {group.TotalLag}");
            foreach (ConsumerGroupMember member in group.Members)
            {
                string leader = member.MemberId == group.LeaderId ? "\t(leader)" : "";
                string partitions = member.Assignment.Count == 0 ? "-" : string.Join(",", member.Assignment);
                await context.Out.WriteLineAsync($"\tMember: {member.MemberId}\tClient: {member.ClientId}\tPartitions: {partitions}{leader}");
            }

            await context.Out.WriteLineAsync("TOPIC\tPARTITION\tCURRENT-OFFSET\tLOG-END-OFFSET\tLAG\tMEMBER");
            foreach (ConsumerGroupPartition partition in group.Partitions)
            {
                string committed = partition.CommittedOffset >= 0 ? partition.CommittedOffset.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
                string end = partition.EndOffset >= 0 ? partition.EndOffset.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
                string lag = partition.Lag is { } value ? value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
                string member = partition.MemberId.Length > 0 ? partition.MemberId : "-";
                await context.Out.WriteLineAsync($"{partition.TopicPartition.Topic}\t{partition.TopicPartition.Partition}\t{committed}\t{end}\t{lag}\t{member}");
            }

            return 0;
        }, cancellation));

        var group = new Command("group", "Inspect consumer groups");
        group.Subcommands.Add(list);
        group.Subcommands.Add(describe);
        return group;
    }
}
