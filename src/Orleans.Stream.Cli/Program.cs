using System.CommandLine;
using Orleans.Stream.Cli;
using Orleans.Stream.Cli.Commands;

// ostream: the Orleans.Stream operator CLI. `ostream --help` and `ostream VERB --help` describe every verb.
var root = new RootCommand("ostream: create topics, produce and consume records, and inspect an Orleans.Stream cluster")
{
    GlobalOptions.Cluster,
    GlobalOptions.ClusterId,
};
root.Subcommands.Add(TopicCommands.Build());
root.Subcommands.Add(ProduceCommand.Build());
root.Subcommands.Add(ConsumeCommand.Build());
root.Subcommands.Add(GroupCommands.Build());
root.Subcommands.Add(ClusterCommands.Build());
return await root.Parse(args).InvokeAsync();
