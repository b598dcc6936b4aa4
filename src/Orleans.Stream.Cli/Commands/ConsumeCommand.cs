using System.CommandLine;
using System.Globalization;
using System.Text;
using Orleans.Stream.Client;

namespace Orleans.Stream.Cli.Commands;

/// <summary><c>ostream consume TOPIC</c>: records to stdout, one per line (<c>KEY SEP VALUE</c> with <c>--print-key</c>).</summary>
internal static class ConsumeCommand
{
    public static Command Build()
    {
        var topic = new Argument<string>("TOPIC") { Description = "Topic to consume" };
        var group = new Option<string?>("--group") { Description = "Consume as a member of this consumer group: from its committed offsets, sharing partitions with its other members, committing as it goes" };
        var fromBeginning = new Option<bool>("--from-beginning") { Description = "Start at the earliest offset (default: only new records); with --group, only where the group has no committed offset" };
        var partition = new Option<int?>("--partition") { Description = "Consume only this partition" };
        var offset = new Option<string?>("--offset") { Description = "With --partition: start offset, or 'earliest' / 'latest'" };
        var maxMessages = new Option<long?>("--max-messages") { Description = "Exit after this many records" };
        var timeout = new Option<int?>("--timeout-ms") { Description = "Exit when no record arrives for this many milliseconds" };
        var printKey = new Option<bool>("--print-key") { Description = "Print KEY SEP VALUE (a null key prints as 'null')" };
        var separator = new Option<string>("--key-separator") { Description = "Separator for --print-key", DefaultValueFactory = _ => "\t" };
        var command = new Command("consume", "Print a topic's records to stdout")
        {
            topic, group, fromBeginning, partition, offset, maxMessages, timeout, printKey, separator,
        };
        command.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, context =>
        {
            string? groupId = parse.GetValue(group);
            if (groupId is not null && parse.GetValue(partition) is not null)
            {
                throw new CliException("--group and --partition exclude each other: the group assigns the partitions.");
            }

            long? startOffset = ParseOffset(parse.GetValue(offset), parse.GetValue(partition), parse.GetValue(fromBeginning));
            var settings = new Settings(parse.GetValue(topic)!, groupId, parse.GetValue(partition), startOffset, parse.GetValue(fromBeginning),
                parse.GetValue(maxMessages), parse.GetValue(timeout), parse.GetValue(printKey), parse.GetValue(separator)!);
            return RunAsync(context, settings);
        }, cancellation));
        return command;
    }

    private sealed record Settings(string Topic, string? Group, int? Partition, long? Offset, bool FromBeginning, long? MaxMessages, int? TimeoutMs, bool PrintKey, string Separator);

    private static long? ParseOffset(string? offset, int? partition, bool fromBeginning)
    {
        if (offset is null)
        {
            return null;
        }

        if (partition is null)
        {
            throw new CliException("--offset needs --partition.");
        }

        if (fromBeginning)
        {
            throw new CliException("--offset and --from-beginning exclude each other.");
        }

        return offset switch
        {
            "earliest" => OffsetSpec.Earliest,
            "latest" => OffsetSpec.Latest,
            _ when long.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out long value) => value,
            _ => throw new CliException($"--offset '{offset}' is not a non-negative number, 'earliest' or 'latest'."),
        };
    }

    private static async Task<int> RunAsync(OrleansStreamClientContext context, Settings settings)
    {
        TopicDescription topic = await context.Client.Admin.DescribeTopicAsync(settings.Topic);
        await using Consumer consumer = context.Client.CreateConsumer(new ConsumerOptions
        {
            AutoOffsetReset = settings.Group is null || settings.FromBeginning ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest,
            GroupId = settings.Group,
            ClientId = "ostream-cli",
        });
        if (settings.Group is not null)
        {
            await consumer.SubscribeAsync([topic.Name]);
        }
        else
        {
            long start = settings.FromBeginning ? OffsetSpec.Earliest : OffsetSpec.Latest;
            if (settings.Partition is { } only)
            {
                if (only < 0 || only >= topic.Partitions.Length)
                {
                    throw new CliException($"--partition {only}: topic {topic.Name} has partitions 0..{topic.Partitions.Length - 1}.");
                }

                consumer.Assign([new TopicPartitionOffset(topic.Name, only, settings.Offset ?? start)]);
            }
            else
            {
                consumer.Assign(topic.Partitions.Select(p => new TopicPartitionOffset(topic.Name, p.Partition, start)));
            }
        }

        bool interactive = !Console.IsOutputRedirected;
        await using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(context.Cancellation);
        if (settings.TimeoutMs is { } first)
        {
            idle.CancelAfter(first);
        }

        long count = 0;
        try
        {
            await foreach (ConsumeResult record in consumer.ConsumeAsync(idle.Token))
            {
                if (settings.PrintKey)
                {
                    await output.WriteAsync(record.Key is { } key ? Encoding.UTF8.GetString(key.Span) : "null");
                    await output.WriteAsync(settings.Separator);
                }

                await output.WriteLineAsync(record.Value is { } value ? Encoding.UTF8.GetString(value.Span) : "null");
                count++;
                if (interactive || count % 4096 == 0)
                {
                    await output.FlushAsync(context.Cancellation);
                }

                if (count == settings.MaxMessages)
                {
                    break;
                }

                if (settings.TimeoutMs is { } again)
                {
                    idle.CancelAfter(again);
                }
            }
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested && !context.Cancellation.IsCancellationRequested)
        {
            // --timeout-ms passed without a record: a normal end.
        }

        await output.FlushAsync(CancellationToken.None);
        if (settings.Group is not null && count > 0)
        {
            await consumer.CommitAsync(CancellationToken.None); // everything printed counts as consumed, the last record too
        }

        await Console.Error.WriteLineAsync($"Processed a total of {count} messages");
        return 0;
    }
}
