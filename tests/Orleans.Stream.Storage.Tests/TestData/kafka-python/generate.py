#!/usr/bin/python3
"""Generate Kafka RecordBatch v2 (magic 2) cross-check data with kafka-python.

Run with Debian's interpreter, which sees the python3-kafka package:

    /usr/bin/python3 generate.py [OUTPUT_DIR]

OUTPUT_DIR defaults to the folder this script lives in. Output is
deterministic: the pseudo-random data uses a fixed seed, and the gzip header's
MTIME field (which Python's gzip module fills from time.time()) is pinned to 0
while the gzip batch is built, so every run writes byte-identical files.

Every batch is built by kafka.record.default_records.DefaultRecordBatchBuilder;
nothing in the batch bytes is written by this script, except in the extra
"segment" file where baseOffset / partitionLeaderEpoch are overwritten the way a
broker assigns them (those fields are outside the CRC).
"""
import gzip
import json
import os
import random
import struct
import subprocess
import sys
import types

import kafka
from kafka.record.default_records import (
    DefaultRecordBatch, DefaultRecordBatchBuilder)
from kafka.record.util import size_of_varint

# kafka-python's codec constants (DefaultRecordBase.CODEC_*)
CODEC_NONE = DefaultRecordBatchBuilder.CODEC_NONE   # 0
CODEC_GZIP = DefaultRecordBatchBuilder.CODEC_GZIP   # 1

# Big enough that the builder never refuses an append (append() returns None
# when the batch would exceed batch_size, except for the first record).
BATCH_SIZE = 16 * 1024 * 1024

# Header layout (big-endian), confirmed against DefaultRecordBase.HEADER_STRUCT
HEADER_SIZE = DefaultRecordBatchBuilder.HEADER_STRUCT.size  # 61
OFF = {
    "base_offset": (0, ">q"),
    "batch_length": (8, ">i"),
    "partition_leader_epoch": (12, ">i"),
    "magic": (16, ">b"),
    "crc": (17, ">I"),
    "attributes": (21, ">h"),
    "last_offset_delta": (23, ">i"),
    "first_timestamp": (27, ">q"),
    "max_timestamp": (35, ">q"),
    "producer_id": (43, ">q"),
    "producer_epoch": (51, ">h"),
    "base_sequence": (53, ">i"),
    "record_count": (57, ">i"),
}
assert HEADER_SIZE == 61
assert DefaultRecordBatchBuilder.CRC_OFFSET == 17
assert DefaultRecordBatchBuilder.ATTRIBUTES_OFFSET == 21
assert DefaultRecordBatchBuilder.AFTER_LEN_OFFSET == 12

BASE_TS = 1700000000000


def hx(b):
    return None if b is None else bytes(b).hex()


def package_version():
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-kafka"],
                             capture_output=True, text=True, check=True).stdout
        return out.strip()
    except Exception:  # pragma: no cover - dpkg not available
        return None


class FixedTime(object):
    """Stand-in for the `time` module inside `gzip`, so the gzip MTIME is 0."""
    @staticmethod
    def time():
        return 0


def build(name, records, compression_type=CODEC_NONE, is_transactional=False,
          producer_id=-1, producer_epoch=-1, base_sequence=-1, magic=2,
          description=""):
    """records: list of (offset, timestamp, key, value, headers)."""
    builder = DefaultRecordBatchBuilder(
        magic=magic, compression_type=compression_type,
        is_transactional=is_transactional, producer_id=producer_id,
        producer_epoch=producer_epoch, base_sequence=base_sequence,
        batch_size=BATCH_SIZE)
    for (offset, ts, key, value, headers) in records:
        meta = builder.append(offset, timestamp=ts, key=key, value=value,
                              headers=headers)
        assert meta is not None, "builder refused record %r" % (offset,)
    real_time = gzip.time
    gzip.time = FixedTime  # pin gzip MTIME for determinism
    try:
        data = bytes(builder.build())
    finally:
        gzip.time = real_time

    # Read back: kafka-python's own accessors where they exist ...
    batch = DefaultRecordBatch(data)
    assert batch.validate_crc(), name
    raw = {k: struct.unpack_from(fmt, data, pos)[0] for k, (pos, fmt) in OFF.items()}
    readback = {
        "base_offset": batch.base_offset,
        "magic": batch.magic,
        "crc": batch.crc,
        "attributes": batch.attributes,
        "last_offset_delta": batch.last_offset_delta,
        "first_timestamp": batch.first_timestamp,
        "max_timestamp": batch.max_timestamp,
        # ... and the header bytes (struct, big-endian) for fields that
        # DefaultRecordBatch does not expose as public properties.
        "batch_length": raw["batch_length"],
        "partition_leader_epoch": raw["partition_leader_epoch"],
        "producer_id": raw["producer_id"],
        "producer_epoch": raw["producer_epoch"],
        "base_sequence": raw["base_sequence"],
        "record_count": raw["record_count"],
    }
    for k, v in readback.items():
        assert raw[k] == v, (name, k, raw[k], v)
    assert raw["batch_length"] == len(data) - 12, name
    decoded = list(batch)
    assert len(decoded) == len(records) == raw["record_count"], name
    for r, (offset, ts, key, value, headers) in zip(decoded, records):
        assert (r.offset, r.timestamp, r.key, r.value) == (offset, ts, key, value), name
        assert [tuple(h) for h in r.headers] == [tuple(h) for h in headers], name

    case = {
        "name": name,
        "file": name + ".bin",
        "description": description,
        "size": len(data),
        "builder": {
            "magic": magic,
            "compression_type": compression_type,
            "is_transactional": bool(is_transactional),
            "producer_id": producer_id,
            "producer_epoch": producer_epoch,
            "base_sequence": base_sequence,
            "batch_size": BATCH_SIZE,
        },
        "records": [
            {"offset": o, "timestamp": t, "key": hx(k), "value": hx(v),
             "headers": [[hn, hx(hv)] for (hn, hv) in h]}
            for (o, t, k, v, h) in records
        ],
    }
    case.update(readback)
    return case, data


def varint_sizes(records):
    """Sizes (bytes) of the varints kafka-python writes for these records."""
    sizes = set()
    first_ts = records[0][1]
    for (offset, ts, key, value, headers) in records:
        body = 1 + size_of_varint(offset) + size_of_varint(ts - first_ts) + \
            DefaultRecordBatchBuilder.size_of(key, value, headers)
        for v in (body, ts - first_ts, offset,
                  -1 if key is None else len(key),
                  -1 if value is None else len(value), len(headers)):
            sizes.add(size_of_varint(v))
    return sorted(sizes)


def cases():
    out = []

    out.append(build("single", [(0, BASE_TS, b"key", b"value", [])],
                     description="one record, no headers"))

    out.append(build("nulls", [
        (0, BASE_TS + 0, None, b"value-only", []),
        (1, BASE_TS + 1, b"key-only", None, []),
        (2, BASE_TS + 2, None, None, []),
        (3, BASE_TS + 3, b"", b"", []),
    ], description="null key / null value / both null / empty (non-null) key and value"))

    out.append(build("headers", [
        (0, BASE_TS, b"k0", b"no headers", []),
        (1, BASE_TS + 10, b"k1", b"one header", [("content-type", b"text/plain")]),
        (2, BASE_TS + 20, b"k2", b"three headers", [
            ("trace", b"\x00\x01\x02\xff"),
            ("trace", None),                      # repeated name, null value
            ("cl\u00e9", "valeur \u00e9t\u00e9".encode("utf-8")),  # non-ASCII UTF-8 name
        ]),
        (3, BASE_TS + 30, None, None, [("empty", b"")]),  # empty (non-null) header value
    ], description="0, 1, 3 headers; null header value; repeated name; UTF-8 name 'cl\u00e9'"))

    rng = random.Random(20240601)
    recs = []
    ts = BASE_TS
    steps = [0, 1, 7, 63, 64, 100, 8191, 8192, 20000, 0, 3, 500]
    for i in range(100):
        if i > 0:
            ts += steps[rng.randrange(len(steps))]
        klen = rng.randrange(0, 301)
        vlen = rng.randrange(0, 301)
        if i in (1, 2):
            klen, vlen = 0, 0                  # tiny records -> 1-byte length varint
        if i == 3:
            klen, vlen = 300, 300              # maximal sizes
        key = bytes(rng.randrange(256) for _ in range(klen))
        value = bytes(rng.randrange(256) for _ in range(vlen))
        recs.append([i, ts, key, value, []])
    # equal timestamps
    recs[11][1] = recs[10][1]
    # max timestamp not on the last record: the last 5 go back in time
    peak = recs[94][1]
    for j, i in enumerate(range(95, 100)):
        recs[i][1] = peak - 1000 * (5 - j)
    recs[94][1] = peak + 1500000  # ts delta needing a 4-byte varint
    recs = [tuple(r) for r in recs]
    case, data = build("many", recs,
                       description="100 records, seeded sizes 0..300, irregular timestamps; "
                                   "max timestamp at record 94, not the last")
    case["varint_sizes_used"] = varint_sizes(recs)
    assert {1, 2, 3} <= set(case["varint_sizes_used"]), case["varint_sizes_used"]
    assert case["max_timestamp"] == recs[94][1] != recs[-1][1]
    out.append((case, data))

    big_value = bytes((i * 31 + 7) & 0xFF for i in range(20000))
    recs = [
        (0, BASE_TS, b"a", b"first", []),
        (1, BASE_TS + 2**31 + 1, b"b", big_value, []),        # delta just above int32
        (2, BASE_TS + 5 * 10**12, b"c", b"far future", []),    # ~2^42: 7-byte varlong
        (3, BASE_TS - 1000, b"d", b"before first", []),        # negative delta
    ]
    case, data = build("big-varints", recs,
                       description="20000-byte value (3-byte length varints), timestamp deltas "
                                   "2^31+1 and 5e12 (64-bit varlong), and a negative delta")
    case["varint_sizes_used"] = varint_sizes(recs)
    out.append((case, data))

    out.append(build("idempotent", [
        (i, BASE_TS + 5 * i, ("k%d" % i).encode(), ("idempotent value %d" % i).encode(), [])
        for i in range(5)
    ], producer_id=123456789012, producer_epoch=7, base_sequence=42,
        description="idempotent producer fields, not transactional"))

    gz = [(i, BASE_TS + 100 * i, ("key-%02d" % i).encode(),
           (("gzip payload %02d " % i) * 8).encode(),
           [("h", b"gz")] if i % 3 == 0 else [])
          for i in range(10)]
    case, data = build("gzip", gz, compression_type=CODEC_GZIP,
                       description="gzip-compressed records section (gzip MTIME pinned to 0)")
    assert case["attributes"] & 0x07 == CODEC_GZIP, "kafka-python fell back to uncompressed"
    out.append((case, data))

    # ---- extras, beyond the brief ----
    out.append(build("transactional", [
        (0, BASE_TS, b"tx0", b"in transaction", []),
        (1, BASE_TS + 1, b"tx1", b"in transaction", []),
    ], is_transactional=True, producer_id=987654321, producer_epoch=3, base_sequence=0,
        description="extra: is_transactional=True sets attributes bit 4 (0x10)"))

    out.append(build("offset-gaps", [
        (0, BASE_TS, b"g0", b"v0", []),
        (2, BASE_TS + 1, b"g2", b"v2", []),
        (5, BASE_TS + 2, b"g5", b"v5", []),
        (9, BASE_TS + 3, b"g9", b"v9", []),
    ], description="extra: non-contiguous offset deltas (as after compaction); "
                   "last_offset_delta = 9 while record_count = 4"))
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)
    built = cases()
    by_name = {}
    for case, data in built:
        with open(os.path.join(outdir, case["file"]), "wb") as f:
            f.write(data)
        by_name[case["name"]] = (case, data)

    # Extra: a log-segment slice of 3 concatenated batches with broker-style
    # baseOffset / partitionLeaderEpoch patched in (bytes 0..7 and 12..15 are
    # outside the CRC, which covers bytes 21..end, so the CRC stays valid).
    seg_parts = [("single", 0, 0), ("nulls", 1, 0), ("headers", 5, 3)]
    seg = bytearray()
    seg_batches = []
    for name, base, epoch in seg_parts:
        case, data = by_name[name]
        b = bytearray(data)
        struct.pack_into(">q", b, 0, base)
        struct.pack_into(">i", b, 12, epoch)
        assert DefaultRecordBatch(bytes(b)).validate_crc()
        seg_batches.append({"case": name, "position": len(seg),
                            "base_offset": base, "partition_leader_epoch": epoch})
        seg += b
    with open(os.path.join(outdir, "segment.bin"), "wb") as f:
        f.write(seg)

    doc = {
        "generator": "generate.py (kafka.record.default_records.DefaultRecordBatchBuilder)",
        "kafka_python_version": kafka.__version__,
        "python3_kafka_deb_version": package_version(),
        "header_layout": {k: {"offset": p, "struct": fmt} for k, (p, fmt) in OFF.items()},
        "header_size": HEADER_SIZE,
        "notes": [
            "records[].offset is the offset passed to append() = offset delta; base_offset is 0, "
            "so it is also the absolute offset kafka-python decodes.",
            "Header fields per case are read back from the produced bytes.",
            "segments: batches of 'cases' concatenated, with base_offset / partition_leader_epoch "
            "overwritten (CRC unaffected); absolute offsets = base_offset + delta.",
        ],
        "cases": [c for c, _ in built],
        "segments": [{"name": "segment", "file": "segment.bin", "size": len(seg),
                      "batches": seg_batches}],
    }
    with open(os.path.join(outdir, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
