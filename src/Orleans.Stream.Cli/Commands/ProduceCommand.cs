using System.CommandLine;
using System.Text;
using Orleans.Stream.Client;

namespace Orleans.Stream.Cli.Commands;

/// <summary>
/// <c>ostream produce TOPIC</c>: one record per stdin line (<c>KEY SEP VALUE</c> with <c>--key-separator</c>).
/// Lines are sent without waiting for each other (the producer batches them); the exit code is 0 only when every
/// line was acknowledged.
/// </summary>
internal static class ProduceCommand
{
    public static Command Build()
    {
        var topic = new Argument<string>("TOPIC") { Description = "Topic to produce to" };
        var separator = new Option<string?>("--key-separator") { Description = "Split each line at the first SEP into key and value (else the line is the value, with a null key)" };
        var acks = new Option<string>("--acks") { Description = "0, 1 or all: how much of the cluster must have a record before it counts", DefaultValueFactory = _ => "all" };
        acks.AcceptOnlyFromAmong("0", "1", "all", "-1");
        var command = new Command("produce", "Produce stdin lines as records") { topic, separator, acks };
        command.SetAction((parse, cancellation) => GlobalOptions.RunAsync(parse, context =>
            RunAsync(context, parse.GetValue(topic)!, parse.GetValue(separator), parse.GetValue(acks)!), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(OrleansStreamClientContext context, string topic, string? separator, string acks)
    {
        if (separator is { Length: 0 })
        {
            throw new CliException("--key-separator must not be empty.");
        }

        TopicName.EnsureValid(topic);
        await context.Client.Admin.DescribeTopicAsync(topic); // unknown topic: fail before reading stdin
        var options = new ProducerOptions { Acks = acks switch { "0" => Acks.None, "1" => Acks.Leader, _ => Acks.All } };
        var outcome = new Outcome();
        await using (Producer producer = context.Client.CreateProducer(options))
        {
            using var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
            long lineNumber = 0;
            while (await input.ReadLineAsync(context.Cancellation) is { } line)
            {
                lineNumber++;
                byte[]? key = null;
                string value = line;
                if (separator is not null)
                {
                    int at = line.IndexOf(separator, StringComparison.Ordinal);
                    if (at < 0)
                    {
                        outcome.Fail($"line {lineNumber} has no key separator '{separator}'; it was not sent.");
                        break;
                    }

                    key = Encoding.UTF8.GetBytes(line[..at]);
                    value = line[(at + separator.Length)..];
                }

                outcome.Track(producer.ProduceAsync(topic, key, Encoding.UTF8.GetBytes(value), cancellationToken: context.Cancellation), lineNumber);
            }

            await producer.FlushAsync(context.Cancellation);
        }

        await outcome.Done();
        if (outcome.FirstError is { } error)
        {
            throw new CliException($"{outcome.Failed} of {outcome.Sent} record(s) were not acknowledged; first: {error}");
        }

        return 0;
    }

    /// <summary>Counts deliveries as they complete, without holding a task per line.</summary>
    private sealed class Outcome
    {
        private readonly TaskCompletionSource _allDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _outstanding = 1;
        private long _failed;
        private string? _firstError;

        public long Sent { get; private set; }

        public long Failed => Interlocked.Read(ref _failed);

        public string? FirstError => Volatile.Read(ref _firstError);

        public void Track(ValueTask<DeliveryResult> delivery, long line)
        {
            Sent++;
            Interlocked.Increment(ref _outstanding);
            _ = Observe(delivery, line);
        }

        public void Fail(string message)
        {
            Interlocked.Increment(ref _failed);
            Interlocked.CompareExchange(ref _firstError, message, null);
        }

        public Task Done()
        {
            Release();
            return _allDone.Task;
        }

        private async Task Observe(ValueTask<DeliveryResult> delivery, long line)
        {
            try
            {
                await delivery.ConfigureAwait(false);
            }
            catch (Exception error)
            {
                Fail($"line {line}: {(error is OrleansStreamException stream ? $"{stream.Message} ({stream.Code})" : error.Message)}");
            }
            finally
            {
                Release();
            }
        }

        private void Release()
        {
            if (Interlocked.Decrement(ref _outstanding) == 0)
            {
                _allDone.TrySetResult();
            }
        }
    }
}
