using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Orleans.Stream.Storage.Format;
using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Format;

public sealed class RecordBatchRoundTripProperties
{
    public static Arbitrary<TestRecord> Records() =>
        (from timestampDelta in Gen.Choose(-1_000_000, 1_000_000)
         from key in NullableBytes()
         from value in NullableBytes()
         from headerCount in Gen.Choose(0, 4)
         from headerKeys in Gen.ArrayOf(ArbMap.Default.GeneratorFor<NonNull<string>>(), headerCount)
         from headerValues in Gen.ArrayOf(NullableBytes(), headerCount)
         select new TestRecord(
             -1,
             Batches.T0 + timestampDelta,
             key,
             value,
             headerKeys.Zip(headerValues, (k, v) => (k.Get, (byte[]?)v)).ToArray())).ToArbitrary();

    private static Gen<byte[]?> NullableBytes() =>
        Gen.Frequency(
            (1, Gen.Constant<byte[]?>(null)),
            (1, Gen.Constant<byte[]?>([])),
            (6, Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()).Select(b => (byte[]?)b)),
            (1, Gen.Choose(200, 20_000).Select(n => (byte[]?)Enumerable.Range(0, n).Select(i => (byte)(i * 31)).ToArray())));

    [Property(Arbitrary = [typeof(RecordBatchRoundTripProperties)], MaxTest = 200)]
    public bool Every_record_comes_back_with_its_bytes(NonEmptyArray<TestRecord> generated)
    {
        TestRecord[] input = generated.Get;
        byte[] batch = Batches.Of(input);

        // The decoded header agrees with what was built, the CRC holds, the validator accepts it.
        var header = RecordBatchHeader.Read(batch);
        BatchSetSummary summary = RecordBatchValidator.Validate(batch, int.MaxValue, OffsetRule.AssignOnAppend);
        List<TestRecord> output = Batches.Decode(batch);
        if (header.RecordCount != input.Length || summary.RecordCount != input.Length || output.Count != input.Length
            || header.MaxTimestamp != input.Max(r => r.Timestamp) || !new RecordBatch(batch).IsCrcValid)
        {
            return false;
        }

        for (int i = 0; i < input.Length; i++)
        {
            // Header names are written as UTF-8: compare against the UTF-8 round trip of the generated string.
            TestRecord expected = input[i] with
            {
                Headers = input[i].Headers.Select(h => (Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(h.Key)), h.Value)).ToArray(),
            };
            if (output[i].Offset != i || !expected.SameContentAs(output[i]))
            {
                return false;
            }
        }

        return true;
    }
}
