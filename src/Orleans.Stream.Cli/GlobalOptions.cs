using System.CommandLine;
using Orleans.Stream.Client;

namespace Orleans.Stream.Cli;

/// <summary>Options every verb takes: which cluster to talk to.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Cluster = new("--cluster")
    {
        Description = $"Gateway endpoints, comma-separated host:port (default: $OSTREAM_CLUSTER, else {OrleansStreamConnection.DefaultGateways}, the AppHost's brokers)",
        Recursive = true,
    };

    public static readonly Option<string?> ClusterId = new("--cluster-id")
    {
        Description = $"The Orleans cluster id of the brokers (default: $OSTREAM_CLUSTER_ID, else {OrleansStreamConnection.DefaultClusterId})",
        Recursive = true,
    };

    /// <summary>Connects, runs <paramref name="action"/>, disconnects; turns every failure into one stderr line and an exit code.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<OrleansStreamClientContext, Task<int>> action, CancellationToken cancellationToken)
    {
        try
        {
            await using OrleansStreamConnection connection = await OrleansStreamConnection.ConnectAsync(parse.GetValue(Cluster), parse.GetValue(ClusterId), cancellationToken);
            return await action(new OrleansStreamClientContext(connection.Client, Console.Out, cancellationToken));
        }
        catch (CliException error)
        {
            Console.Error.WriteLine($"ostream: {error.Message}");
            return error.ExitCode;
        }
        catch (OrleansStreamException error)
        {
            Console.Error.WriteLine(error.Code == ErrorCode.None ? $"ostream: {error.Message}" : $"ostream: {error.Message} ({error.Code})");
            return 1;
        }
        catch (ArgumentException error)
        {
            Console.Error.WriteLine($"ostream: {error.Message}");
            return 2;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 130;
        }
        catch (Exception error)
        {
            Console.Error.WriteLine($"ostream: {error.GetBaseException().Message}");
            return 1;
        }
    }
}

/// <summary>What a verb works with: the client, where to print, and the Ctrl+C token.</summary>
internal sealed record OrleansStreamClientContext(Client.OrleansStreamClient Client, TextWriter Out, CancellationToken Cancellation);
