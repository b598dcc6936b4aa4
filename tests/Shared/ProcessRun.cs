using System.Diagnostics;
using System.Text;

namespace Orleans.Stream.Testing;

/// <summary>The outcome of running a process to its end.</summary>
internal sealed record ProcessRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Runs <c>dotnet DLL ARGS</c> with <paramref name="stdin"/>, killing it after <paramref name="timeout"/>.</summary>
    public static Task<ProcessRun> DotnetAsync(string dll, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, IDictionary<string, string>? environment = null) =>
        RunAsync("dotnet", [dll, .. args], stdin, timeout, environment);

    /// <summary>Runs <c>PROGRAM ARGS</c> (in <paramref name="workingDirectory"/> when given) with <paramref name="stdin"/>, killing it after <paramref name="timeout"/>.</summary>
    public static async Task<ProcessRun> RunAsync(
        string program, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} did not finish in {timeout}; stderr: {await stderr}");
        }

        return new ProcessRun(process.ExitCode, await stdout, await stderr);
    }
}
