using System.Diagnostics;
using System.Text;

namespace Orleans.Stream.Testing;

/// <summary>The outcome of running a process to its end.</summary>
internal sealed record ProcessRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Runs <c>dotnet DLL ARGS</c> with <paramref name="stdin"/>, killing it after <paramref name="timeout"/>.</summary>
    public static async Task<ProcessRun> DotnetAsync(string dll, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(dll);
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
            throw new TimeoutException($"dotnet {Path.GetFileName(dll)} {string.Join(' ', start.ArgumentList.Skip(1))} did not finish in {timeout}; stderr: {await stderr}");
        }

        return new ProcessRun(process.ExitCode, await stdout, await stderr);
    }
}
