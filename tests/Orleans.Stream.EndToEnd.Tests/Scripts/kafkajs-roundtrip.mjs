// kafkajs (the repository's pinned npm package) against the brokers' Kafka ports: produce keyed records, then
// read them back through a consumer group, committing. Prints one JSON line: what was acknowledged and consumed.
// Usage: node kafkajs-roundtrip.mjs <bootstrap host:port,...> <topic> <count>
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic, countText] = process.argv.slice(2);
const count = Number(countText);
const kafka = new Kafka({ clientId: 'kafkajs-roundtrip', brokers: bootstrap.split(','), logLevel: logLevel.ERROR });

const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const acknowledged = [];
for (let i = 0; i < count; i += 50) {
  const messages = [];
  for (let j = i; j < Math.min(count, i + 50); j++) {
    messages.push({ key: `k${j % 8}`, value: `v${j}`, headers: { from: 'kafkajs' } });
  }
  const results = await producer.send({ topic, acks: -1, messages });
  for (const r of results) acknowledged.push({ partition: r.partition, baseOffset: r.baseOffset });
}
await producer.disconnect();

const consumer = kafka.consumer({ groupId: 'kafkajs-readers', sessionTimeout: 10000 });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
const consumed = [];
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`only ${consumed.length} of ${count} consumed`)), 60000);
  consumer.run({
    autoCommit: true,
    eachMessage: async ({ partition, message }) => {
      consumed.push({ partition, offset: message.offset, key: message.key.toString(), value: message.value.toString(), from: message.headers.from?.toString() });
      if (consumed.length === count) { clearTimeout(timer); resolve(); }
    },
  }).catch(reject);
});
await consumer.commitOffsets(consumed.map(c => ({ topic, partition: c.partition, offset: String(Number(c.offset) + 1) })));
await consumer.disconnect();
console.log(JSON.stringify({ acknowledged: acknowledged.length, consumed }));
process.exit(0);
