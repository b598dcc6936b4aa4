#!/usr/bin/python3
"""Decode a file of concatenated Kafka RecordBatch v2 batches with kafka-python.

    /usr/bin/python3 decode.py FILE

FILE holds one or more RecordBatch v2 (magic 2) batches back to back, e.g. a
slice of a log segment. Batches are framed and parsed by kafka-python
(kafka.record.memory_records.MemoryRecords -> DefaultRecordBatch); each batch's
CRC-32C is checked with kafka-python's own DefaultRecordBatch.validate_crc().

Prints ONE JSON object to stdout:

  {"batches": [{"base_offset", "partition_leader_epoch", "magic", "crc",
                "attributes", "compression_type", "last_offset_delta",
                "first_timestamp", "max_timestamp", "producer_id",
                "producer_epoch", "base_sequence", "record_count", "crc_valid",
                "records": [{"offset", "timestamp", "key", "value",
                             "headers": [[name, value], ...]}]}]}

key / value / header values are lowercase hex strings or null; header names are
the UTF-8-decoded strings. Offsets are absolute (base_offset + offset delta), as
kafka-python reports them; timestamps are as kafka-python reports them
(first_timestamp + delta, or max_timestamp when the LogAppendTime bit is set).

Exit status: 0 on success; 1 if any batch fails its CRC check; 2 if the file is
not a clean sequence of magic-2 batches (trailing partial batch, other magic,
corrupt record structure). Messages go to stderr.
"""
import json
import struct
import sys

from kafka.errors import CorruptRecordException
from kafka.record.default_records import DefaultRecordBatch
from kafka.record.memory_records import MemoryRecords


def hx(b):
    return None if b is None else bytes(b).hex()


def fail(code, msg):
    sys.stderr.write("decode.py: %s\n" % msg)
    sys.exit(code)


def main(argv):
    if len(argv) != 2:
        fail(2, "usage: decode.py FILE")
    with open(argv[1], "rb") as f:
        data = f.read()

    records_set = MemoryRecords(data)
    # MemoryRecords frames batches by the Length field (int32 at byte 8). We
    # follow the same framing to know where each batch starts in `data`.
    pos = 0
    batches = []
    index = 0
    while records_set.has_next():
        start = pos
        try:
            batch = records_set.next_batch()
        except CorruptRecordException as e:
            fail(2, "batch %d at byte %d: %s" % (index, start, e))
        length, = struct.unpack_from(">i", data, start + 8)
        pos = start + 12 + length
        if not isinstance(batch, DefaultRecordBatch):
            fail(2, "batch %d at byte %d: magic %d is not RecordBatch v2"
                 % (index, start, batch.magic))

        # Must be called before iterating (kafka-python asserts this).
        crc_valid = batch.validate_crc()
        if not crc_valid:
            fail(1, "batch %d at byte %d: CRC mismatch (stored crc %d)"
                 % (index, start, batch.crc))

        # DefaultRecordBatch (kafka-python 2.0.2) has no public properties for
        # partitionLeaderEpoch, producerId, producerEpoch, baseSequence and the
        # record count, so those are read from the header bytes with struct
        # (big-endian): int32 @12, int64 @43, int16 @51, int32 @53, int32 @57.
        (partition_leader_epoch,) = struct.unpack_from(">i", data, start + 12)
        (producer_id,) = struct.unpack_from(">q", data, start + 43)
        (producer_epoch,) = struct.unpack_from(">h", data, start + 51)
        (base_sequence,) = struct.unpack_from(">i", data, start + 53)
        (record_count,) = struct.unpack_from(">i", data, start + 57)

        try:
            records = [{
                "offset": r.offset,
                "timestamp": r.timestamp,
                "key": hx(r.key),
                "value": hx(r.value),
                "headers": [[name, hx(value)] for (name, value) in r.headers],
            } for r in batch]
        except CorruptRecordException as e:
            fail(2, "batch %d at byte %d: %s" % (index, start, e))

        batches.append({
            "base_offset": batch.base_offset,
            "partition_leader_epoch": partition_leader_epoch,
            "magic": batch.magic,
            "crc": batch.crc,
            "attributes": batch.attributes,
            "compression_type": batch.compression_type,
            "last_offset_delta": batch.last_offset_delta,
            "first_timestamp": batch.first_timestamp,
            "max_timestamp": batch.max_timestamp,
            "producer_id": producer_id,
            "producer_epoch": producer_epoch,
            "base_sequence": base_sequence,
            "record_count": record_count,
            "crc_valid": crc_valid,
            "records": records,
        })
        index += 1

    if pos != len(data):
        fail(2, "%d trailing bytes after %d complete batch(es) at byte %d"
             % (len(data) - pos, index, pos))
    if not batches:
        fail(2, "no batch found")

    json.dump({"batches": batches}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
