using System.Globalization;
using Orleans.Stream.Storage;
using Orleans.Stream.Storage.CrashHelper;

// Usage: CrashHelper <logDirectory> [appenders]
// Appends CrashWorkload batches with flush.policy=group-commit from several concurrent appenders and prints
// "ACK <seq> <firstOffset> <lastOffset>" once each append has completed (i.e. was fsynced). It never stops by itself
// (up to a bound): the test kills it with SIGKILL.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: CrashHelper <logDirectory> [appenders]");
    return 2;
}

string directory = args[0];
int appenders = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
const int MaxBatches = 200_000;

var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var gate = new object();
PartitionLog log = PartitionLog.Open(directory, new LogConfig { FlushPolicy = FlushPolicy.GroupCommit, SegmentBytes = 64 * 1024 });
stdout.WriteLine("READY");

int next = -1;
var workers = new Task[appenders];
for (int w = 0; w < appenders; w++)
{
    workers[w] = Task.Run(async () =>
    {
        while (true)
        {
            int seq = Interlocked.Increment(ref next);
            if (seq >= MaxBatches)
            {
                return;
            }

            AppendResult result = await log.AppendAsync(CrashWorkload.Batch(seq));
            lock (gate)
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ACK {seq} {result.FirstOffset} {result.LastOffset}"));
            }
        }
    });
}

await Task.WhenAll(workers);
await log.DisposeAsync();
return 0;
