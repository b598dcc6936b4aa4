using System.Diagnostics;

namespace Orleans.Stream.LoadTest;

/// <summary>Acknowledgement latencies, one slot per record (preallocated: the run's record count is bounded).</summary>
internal sealed class LatencyRecorder(int capacity)
{
    private readonly double[] _micros = new double[capacity];
    private int _count;

    public void Record(long startTimestamp) =>
        _micros[Interlocked.Increment(ref _count) - 1] = Stopwatch.GetElapsedTime(startTimestamp).TotalMicroseconds;

    public int Count => Volatile.Read(ref _count);

    /// <summary>p50, p99 and p99.9 in milliseconds.</summary>
    public (double P50, double P99, double P999, double Max) Percentiles()
    {
        int n = Count;
        if (n == 0)
        {
            return (0, 0, 0, 0);
        }

        double[] sorted = _micros[..n];
        Array.Sort(sorted);
        double At(double q) => sorted[Math.Min(n - 1, (int)Math.Ceiling(q * n) - 1)] / 1000.0;
        return (At(0.50), At(0.99), At(0.999), sorted[n - 1] / 1000.0);
    }
}
