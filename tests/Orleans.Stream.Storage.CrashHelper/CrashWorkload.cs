using System.Text;

namespace Orleans.Stream.Storage.CrashHelper;

/// <summary>
/// The crash test's workload: batch number <c>seq</c> is a pure function of <c>seq</c>, so the test can rebuild the
/// exact bytes of every batch the helper acknowledged. Compiled into both the helper and the test project.
/// </summary>
public static class CrashWorkload
{
    public const long T0 = 1_700_000_000_000;

    public static int RecordCount(int seq) => (seq % 5) + 1;

    public static (byte[] Key, byte[] Value, long Timestamp) Record(int seq, int index)
    {
        var value = new byte[((seq * 37) + (index * 11)) % 700];
        new Random((seq * 31) + index).NextBytes(value);
        return (Encoding.UTF8.GetBytes($"seq{seq}-{index}"), value, T0 + seq);
    }

    public static byte[] Batch(int seq)
    {
        using var builder = new RecordBatchBuilder();
        for (int i = 0; i < RecordCount(seq); i++)
        {
            (byte[] key, byte[] value, long timestamp) = Record(seq, i);
            builder.Append(timestamp, key, value, [new RecordHeader("seq", Encoding.UTF8.GetBytes(seq.ToString(System.Globalization.CultureInfo.InvariantCulture)))]);
        }

        return builder.Build().ToArray();
    }
}
