using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Orleans.Stream;
using Orleans.Stream.Client;
using Orleans.Stream.LoadTest;

// ostream-perf: end-to-end load against a running cluster (loopback only; bounded in records and time).
//   ostream-perf produce --topic perf --partitions 6 --producers 4 --records 1000000 --record-size 1024 [--rate 75000]
//   ostream-perf consume --topic perf --records 1000000 [--group G --consumers 3]
//   ostream-perf verify-produce --topic verified --records 20000 --rate 400 --keys 16 --acks-file acks.tsv
//   ostream-perf kafka-produce --topic perf --records 1000000 [--acks all]     (Confluent.Kafka on the Kafka ports)
//   ostream-perf kafka-consume --topic perf --records 1000000 --partitions 6
var cluster = new Option<string?>("--cluster") { Description = "Gateways host:port,... (default: the AppHost's brokers)", Recursive = true };
var clusterId = new Option<string?>("--cluster-id") { Description = "Orleans cluster id (default ostream-local)", Recursive = true };
var topic = new Option<string>("--topic") { Description = "Topic (created if missing)", DefaultValueFactory = _ => "perf", Recursive = true };
var records = new Option<int>("--records") { Description = "Records to produce or consume (at most 20,000,000)", DefaultValueFactory = _ => 1_000_000, Recursive = true };
var maxSeconds = new Option<int>("--max-seconds") { Description = "Stop after this long whatever the count", DefaultValueFactory = _ => 120, Recursive = true };

var partitions = new Option<int>("--partitions") { Description = "Partitions if the topic is created", DefaultValueFactory = _ => 6 };
var producers = new Option<int>("--producers") { Description = "Concurrent producers", DefaultValueFactory = _ => 4 };
var recordSize = new Option<int>("--record-size") { Description = "Value bytes per record", DefaultValueFactory = _ => 1024 };
var rate = new Option<int>("--rate") { Description = "Records/s over all producers (0 = as fast as possible)", DefaultValueFactory = _ => 0 };
var acks = new Option<string>("--acks") { Description = "0, 1 or all", DefaultValueFactory = _ => "all" };
var linger = new Option<int>("--linger-ms") { Description = "linger.ms", DefaultValueFactory = _ => 5 };
var batchSize = new Option<int>("--batch-size") { Description = "batch.size in bytes", DefaultValueFactory = _ => 256 * 1024 };
var flushPolicy = new Option<string?>("--flush-policy") { Description = "flush.policy of a created topic (group-commit or replicated)" };
var replicationFactor = new Option<short>("--replication-factor") { Description = "replication.factor of a created topic", DefaultValueFactory = _ => 1 };
var topicConfigs = new Option<string[]>("--config") { Description = "key=value: a config of a created topic (repeatable, e.g. --config remote.storage.enable=true)", Arity = ArgumentArity.ZeroOrMore };
var minInsync = new Option<int>("--min-insync-replicas") { Description = "min.insync.replicas of a created topic (0 = the default, 1)", DefaultValueFactory = _ => 0 };

var maxInFlight = new Option<int>("--max-in-flight") { Description = "max.in.flight.requests.per.connection, per partition (1-5; 1 without idempotence)", DefaultValueFactory = _ => 5 };
var idempotence = new Option<bool>("--idempotence") { Description = "enable.idempotence (applies with acks=all)", DefaultValueFactory = _ => true };

var produce = new Command("produce", "Produce records and report throughput and ack latency")
{
    partitions, producers, recordSize, rate, acks, linger, batchSize, flushPolicy, replicationFactor, minInsync, maxInFlight, idempotence, topicConfigs,
};
produce.SetAction(async (parse, cancellation) =>
{
    await using OrleansStreamConnection connection = await OrleansStreamConnection.ConnectAsync(parse.GetValue(cluster), parse.GetValue(clusterId), cancellation);
    var settings = new ProduceLoad.Settings(
        parse.GetValue(topic)!, parse.GetValue(partitions), parse.GetValue(producers), Math.Min(parse.GetValue(records), 20_000_000), parse.GetValue(recordSize),
        parse.GetValue(rate), parse.GetValue(acks) switch { "0" => Acks.None, "1" => Acks.Leader, _ => Acks.All },
        TimeSpan.FromMilliseconds(parse.GetValue(linger)), parse.GetValue(batchSize), parse.GetValue(flushPolicy), TimeSpan.FromSeconds(parse.GetValue(maxSeconds)),
        parse.GetValue(maxInFlight), parse.GetValue(idempotence), parse.GetValue(replicationFactor), parse.GetValue(minInsync), parse.GetValue(topicConfigs) ?? []);
    return await ProduceLoad.RunAsync(connection.Client, settings, cancellation);
});

var fetchBytes = new Option<int>("--fetch-bytes") { Description = "max.partition.fetch.bytes", DefaultValueFactory = _ => 1024 * 1024 };
var group = new Option<string?>("--group") { Description = "Consume as a consumer group of --consumers members (from its committed offsets, else the start)" };
var consumerCount = new Option<int>("--consumers") { Description = "Members of the --group", DefaultValueFactory = _ => 1 };
var consume = new Command("consume", "Consume a topic from the start and report throughput") { fetchBytes, group, consumerCount };
consume.SetAction(async (parse, cancellation) =>
{
    await using OrleansStreamConnection connection = await OrleansStreamConnection.ConnectAsync(parse.GetValue(cluster), parse.GetValue(clusterId), cancellation);
    var settings = new ConsumeLoad.Settings(parse.GetValue(topic)!, Math.Min(parse.GetValue(records), 20_000_000), parse.GetValue(fetchBytes),
        TimeSpan.FromSeconds(parse.GetValue(maxSeconds)), parse.GetValue(group), parse.GetValue(consumerCount));
    return await ConsumeLoad.RunAsync(connection.Client, settings, cancellation);
});

var keys = new Option<int>("--keys") { Description = "Distinct keys, used in turn", DefaultValueFactory = _ => 16 };
var acksFile = new Option<string>("--acks-file") { Description = "Where each acknowledgement goes, one line each: partition offset key value", Required = true };
var verifyRate = new Option<int>("--rate") { Description = "Records/s", DefaultValueFactory = _ => 500 };
var stopFile = new Option<string?>("--stop-file") { Description = "Stop producing once this file exists (and report what was acknowledged)" };
var verify = new Command("verify-produce", "Produce keyed sequential records (acks=all, idempotent) and log every acknowledgement, for fault tests") { keys, acksFile, verifyRate, stopFile };
verify.SetAction(async (parse, cancellation) =>
{
    await using OrleansStreamConnection connection = await OrleansStreamConnection.ConnectAsync(parse.GetValue(cluster), parse.GetValue(clusterId), cancellation);
    var settings = new VerifiableProduce.Settings(
        parse.GetValue(topic)!, Math.Min(parse.GetValue(records), 1_000_000), parse.GetValue(verifyRate), Math.Max(1, parse.GetValue(keys)), parse.GetValue(acksFile)!,
        TimeSpan.FromSeconds(parse.GetValue(maxSeconds)), parse.GetValue(stopFile));
    return await VerifiableProduce.RunAsync(connection.Client, settings, cancellation);
});

var bootstrap = new Option<string>("--bootstrap") { Description = "Kafka bootstrap.servers", DefaultValueFactory = _ => "127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094" };
var kafkaAcks = new Option<string>("--acks") { Description = "0, 1 or all", DefaultValueFactory = _ => "all" };
var kafkaRecordSize = new Option<int>("--record-size") { Description = "Value bytes per record", DefaultValueFactory = _ => 1024 };
var kafkaPartitions = new Option<int>("--partitions") { Description = "Partitions of the topic (consume assigns them all)", DefaultValueFactory = _ => 6 };
var kafkaProduce = new Command("kafka-produce", "Produce through Confluent.Kafka against the Kafka ports (the topic must exist)") { bootstrap, kafkaAcks, kafkaRecordSize };
kafkaProduce.SetAction(parse => KafkaLoad.Produce(new KafkaLoad.Settings(parse.GetValue(bootstrap)!, parse.GetValue(topic)!, Math.Min(parse.GetValue(records), 20_000_000),
    parse.GetValue(kafkaRecordSize), parse.GetValue(kafkaAcks)!, TimeSpan.FromSeconds(parse.GetValue(maxSeconds)))));
var kafkaConsume = new Command("kafka-consume", "Consume a topic from the start through Confluent.Kafka") { bootstrap, kafkaPartitions };
kafkaConsume.SetAction(parse => KafkaLoad.Consume(new KafkaLoad.Settings(parse.GetValue(bootstrap)!, parse.GetValue(topic)!, Math.Min(parse.GetValue(records), 20_000_000),
    0, "all", TimeSpan.FromSeconds(parse.GetValue(maxSeconds))), parse.GetValue(kafkaPartitions)));

var root = new RootCommand("ostream-perf: end-to-end load for an Orleans.Stream cluster") { cluster, clusterId, topic, records, maxSeconds };
root.Subcommands.Add(produce);
root.Subcommands.Add(consume);
root.Subcommands.Add(verify);
root.Subcommands.Add(kafkaProduce);
root.Subcommands.Add(kafkaConsume);
return await root.Parse(args).InvokeAsync();
