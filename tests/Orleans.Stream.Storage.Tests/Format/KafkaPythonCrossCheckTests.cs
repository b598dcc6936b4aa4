using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Orleans.Stream.Storage.Format;
using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Format;

/// <summary>
/// Byte-exactness checked against an independent implementation: Debian's python3-kafka (kafka-python 2.0.2).
/// TestData/kafka-python holds batches it built (and the script that built them); we decode those, re-encode the same
/// records and demand identical bytes, and hand our own log's bytes to kafka-python to decode.
/// </summary>
public sealed class KafkaPythonCrossCheckTests
{
    private static readonly string DataDirectory = Path.Combine(AppContext.BaseDirectory, "TestData", "kafka-python");
    private static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDirectory, "cases.json"))).RootElement;

    public static TheoryData<string> AllCases() => [.. CaseNames()];

    // Cases our builder can express: uncompressed, offsets numbered 0..n-1.
    public static TheoryData<string> BuildableCases() => [.. CaseNames().Where(n => n is not "gzip" and not "offset-gaps")];

    private static IEnumerable<string> CaseNames() => Cases.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    [Theory]
    [MemberData(nameof(AllCases))]
    public void We_decode_what_kafka_python_encoded(string name)
    {
        JsonElement c = Case(name);
        byte[] bytes = File.ReadAllBytes(Path.Combine(DataDirectory, c.GetProperty("file").GetString()!));

        var header = RecordBatchHeader.Read(bytes);
        Assert.Equal(c.GetProperty("base_offset").GetInt64(), header.BaseOffset);
        Assert.Equal(c.GetProperty("batch_length").GetInt32(), header.BatchLength);
        Assert.Equal(bytes.Length, header.TotalSize);
        Assert.Equal(c.GetProperty("partition_leader_epoch").GetInt32(), header.PartitionLeaderEpoch);
        Assert.Equal(c.GetProperty("crc").GetUInt32(), header.Crc);
        Assert.Equal(c.GetProperty("attributes").GetInt16(), header.Attributes);
        Assert.Equal(c.GetProperty("last_offset_delta").GetInt32(), header.LastOffsetDelta);
        Assert.Equal(c.GetProperty("first_timestamp").GetInt64(), header.BaseTimestamp);
        Assert.Equal(c.GetProperty("max_timestamp").GetInt64(), header.MaxTimestamp);
        Assert.Equal(c.GetProperty("producer_id").GetInt64(), header.ProducerId);
        Assert.Equal(c.GetProperty("producer_epoch").GetInt16(), header.ProducerEpoch);
        Assert.Equal(c.GetProperty("base_sequence").GetInt32(), header.BaseSequence);
        Assert.Equal(c.GetProperty("record_count").GetInt32(), header.RecordCount);
        Assert.True(new RecordBatch(bytes).IsCrcValid);

        // Replicated data is accepted as written; producer data must be numbered 0..n-1.
        RecordBatchValidator.Validate(bytes, int.MaxValue, OffsetRule.KeepAsWritten);
        if (name == "offset-gaps")
        {
            Assert.Throws<InvalidRecordException>(() => RecordBatchValidator.Validate(bytes, int.MaxValue, OffsetRule.AssignOnAppend));
        }
        else
        {
            RecordBatchValidator.Validate(bytes, int.MaxValue, OffsetRule.AssignOnAppend);
        }

        List<TestRecord> decoded = Batches.Decode(header.Compression == CompressionType.None ? bytes : Decompressed(bytes, header));
        TestRecord[] expected = ExpectedRecords(c);
        Assert.Equal(expected.Length, decoded.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Offset, decoded[i].Offset);
            Assert.True(expected[i].SameContentAs(decoded[i]), $"{name}: record {i} differs");
        }
    }

    [Theory]
    [MemberData(nameof(BuildableCases))]
    public void We_encode_the_same_records_to_the_same_bytes(string name)
    {
        JsonElement c = Case(name);
        JsonElement b = c.GetProperty("builder");
        using var builder = new RecordBatchBuilder
        {
            PartitionLeaderEpoch = c.GetProperty("partition_leader_epoch").GetInt32(),
            ProducerId = b.GetProperty("producer_id").GetInt64(),
            ProducerEpoch = b.GetProperty("producer_epoch").GetInt16(),
            BaseSequence = b.GetProperty("base_sequence").GetInt32(),
            IsTransactional = b.GetProperty("is_transactional").GetBoolean(),
        };
        foreach (TestRecord r in ExpectedRecords(c))
        {
            builder.Append(r.Timestamp, r.Key, r.Value, r.Headers.Select(h => new RecordHeader(h.Key, h.Value is null ? null : (ReadOnlyMemory<byte>?)h.Value)).ToArray());
        }

        byte[] ours = builder.Build().ToArray();
        byte[] theirs = File.ReadAllBytes(Path.Combine(DataDirectory, c.GetProperty("file").GetString()!));
        Assert.Equal(Convert.ToHexString(theirs), Convert.ToHexString(ours));
    }

    [Fact]
    public async Task A_segment_of_kafka_python_batches_replicates_into_our_log_byte_for_byte()
    {
        byte[] segment = File.ReadAllBytes(Path.Combine(DataDirectory, "segment.bin"));
        using var dir = new TempDirectory();
        await using PartitionLog log = PartitionLog.Open(dir.Path);
        AppendResult result = await log.AppendReplicatedAsync(segment);
        Assert.Equal(0, result.FirstOffset);
        using LogReadResult read = log.Read(0, 1 << 20);
        Assert.Equal(Convert.ToHexString(segment), Convert.ToHexString(read.Batches.Span));
        Assert.Equal([0L, 1L, 5L], new List<long>(EnumerateBaseOffsets(read.Batches)));
    }

    [Fact]
    public async Task Kafka_python_decodes_what_our_log_wrote()
    {
        using var dir = new TempDirectory();
        var written = new List<TestRecord>();
        await using (PartitionLog log = PartitionLog.Open(dir.Sub("log")))
        {
            var random = new Random(7);
            for (int b = 0; b < 12; b++)
            {
                var records = new TestRecord[random.Next(1, 6)];
                for (int i = 0; i < records.Length; i++)
                {
                    records[i] = new TestRecord(
                        -1,
                        Batches.T0 + random.Next(-5000, 5000),
                        random.Next(4) == 0 ? null : RandomBytes(random, random.Next(0, 40)),
                        random.Next(5) == 0 ? null : RandomBytes(random, random.Next(0, 3000)),
                        [.. Enumerable.Range(0, random.Next(0, 3)).Select(h => ($"h{h}-ü", random.Next(3) == 0 ? null : RandomBytes(random, 5)))]);
                }

                AppendResult result = await log.AppendAsync(Batches.Of(records), partitionLeaderEpoch: b / 4);
                written.AddRange(records.Select((r, i) => r with { Offset = result.FirstOffset + i }));
            }

            using LogReadResult read = log.Read(0, 1 << 20);
            File.WriteAllBytes(dir.Sub("ours.bin"), read.Batches.ToArray());
        }

        JsonElement decoded = RunDecodePy(dir.Sub("ours.bin"));
        var theirs = new List<TestRecord>();
        int batchIndex = 0;
        foreach (JsonElement batch in decoded.GetProperty("batches").EnumerateArray())
        {
            Assert.True(batch.GetProperty("crc_valid").GetBoolean());
            Assert.Equal(batchIndex++ / 4, batch.GetProperty("partition_leader_epoch").GetInt32());
            theirs.AddRange(batch.GetProperty("records").EnumerateArray().Select(ParseRecord));
        }

        Assert.Equal(written.Count, theirs.Count);
        for (int i = 0; i < written.Count; i++)
        {
            Assert.Equal(written[i].Offset, theirs[i].Offset);
            Assert.True(written[i].SameContentAs(theirs[i]), $"record at offset {i} decodes differently in kafka-python");
        }
    }

    /// <summary>kafka-python's gzip batch with its records decompressed by us, as an uncompressed batch to decode.</summary>
    private static byte[] Decompressed(byte[] batch, RecordBatchHeader header)
    {
        Assert.Equal(CompressionType.Gzip, header.Compression);
        byte[] records = RecordDecompression.Decompress(header.Compression, new RecordBatch(batch).RecordSection, out int length);
        byte[] plain = [.. batch.AsSpan(0, 61), .. records.AsSpan(0, length)];
        System.Buffers.ArrayPool<byte>.Shared.Return(records);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(8), plain.Length - 12);
        plain[22] &= unchecked((byte)~0x07);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(17), Crc32C.Compute(plain.AsSpan(21)));
        return plain;
    }

    private static JsonElement RunDecodePy(string file)
    {
        const string Python = "/usr/bin/python3";
        Assert.True(File.Exists(Python), "This test needs Debian's python3 with python3-kafka: apt-get install -y python3-kafka (.ci/run installs it).");
        var start = new ProcessStartInfo(Python, [Path.Combine(DataDirectory, "decode.py"), file])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "decode.py did not finish");
        Assert.True(
            process.ExitCode == 0,
            stderr.Contains("No module named 'kafka'", StringComparison.Ordinal)
                ? "kafka-python is missing: apt-get install -y python3-kafka (.ci/run installs it)."
                : $"decode.py failed ({process.ExitCode}): {stderr}");
        return JsonDocument.Parse(stdout.Result).RootElement;
    }

    private static JsonElement Case(string name) =>
        Cases.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static TestRecord[] ExpectedRecords(JsonElement c) =>
        [.. c.GetProperty("records").EnumerateArray().Select(r => ParseRecord(r) with { Offset = c.GetProperty("base_offset").GetInt64() + r.GetProperty("offset").GetInt64() })];

    private static TestRecord ParseRecord(JsonElement r) => new(
        r.GetProperty("offset").GetInt64(),
        r.GetProperty("timestamp").GetInt64(),
        Hex(r.GetProperty("key")),
        Hex(r.GetProperty("value")),
        [.. r.GetProperty("headers").EnumerateArray().Select(h => (h[0].GetString()!, Hex(h[1])))]);

    private static byte[]? Hex(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : Convert.FromHexString(e.GetString()!);

    private static byte[] RandomBytes(Random random, int n)
    {
        var bytes = new byte[n];
        random.NextBytes(bytes);
        return bytes;
    }

    private static List<long> EnumerateBaseOffsets(ReadOnlyMemory<byte> batches)
    {
        var offsets = new List<long>();
        foreach (RecordBatch batch in new RecordBatchEnumerator(batches.Span))
        {
            offsets.Add(batch.Header.BaseOffset);
        }

        return offsets;
    }
}
