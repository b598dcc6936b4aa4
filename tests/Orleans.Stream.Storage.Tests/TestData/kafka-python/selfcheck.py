#!/usr/bin/python3
"""Self-check of the kafka-python cross-check data.

    /usr/bin/python3 selfcheck.py

1. regenerates everything into a temp dir and requires byte-identical files
   (determinism, and that the committed files match generate.py);
2. runs decode.py on every case file and on segment.bin and requires the
   decoded batch header and records to equal cases.json;
3. recomputes every batch CRC with a small table CRC-32C written here
   (independent of kafka-python's) over bytes 21..end;
4. checks decode.py's failure modes: corrupted payload -> exit 1, truncated
   file -> exit 2, changed baseOffset / partitionLeaderEpoch -> still valid.
Ends with the line "N passed, N failed"; exits non-zero on any failure.
"""
import filecmp
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
HEADER_KEYS = ["base_offset", "partition_leader_epoch", "magic", "crc", "attributes",
               "last_offset_delta", "first_timestamp", "max_timestamp", "producer_id",
               "producer_epoch", "base_sequence", "record_count"]

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_T = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def decode(path):
    p = subprocess.run([PY, os.path.join(HERE, "decode.py"), path],
                       capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def expected_records(case, base_offset=0):
    return [{"offset": base_offset + r["offset"], "timestamp": r["timestamp"],
             "key": r["key"], "value": r["value"], "headers": r["headers"]}
            for r in case["records"]]


def main():
    with open(os.path.join(HERE, "cases.json"), encoding="utf-8") as f:
        doc = json.load(f)
    cases = {c["name"]: c for c in doc["cases"]}

    # 1. determinism / committed files are current
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([PY, os.path.join(HERE, "generate.py"), tmp], check=True)
        for name in sorted(os.listdir(tmp)):
            check(filecmp.cmp(os.path.join(tmp, name), os.path.join(HERE, name), shallow=False),
                  "%s differs from a fresh generate.py run" % name)

    check(crc32c(b"123456789") == 0xE3069283, "crc32c check value")

    # 2./3. every case file
    for name, case in cases.items():
        path = os.path.join(HERE, case["file"])
        with open(path, "rb") as f:
            data = f.read()
        check(len(data) == case["size"] == case["batch_length"] + 12, name + ": size")
        check(struct.unpack_from(">I", data, 17)[0] == crc32c(data[21:]) == case["crc"],
              name + ": independent CRC-32C")
        rc, out, err = decode(path)
        check(rc == 0, "%s: decode.py exit %d: %s" % (name, rc, err.strip()))
        if rc != 0:
            continue
        batches = json.loads(out)["batches"]
        check(len(batches) == 1, name + ": one batch")
        b = batches[0]
        for k in HEADER_KEYS:
            check(b[k] == case[k], "%s: %s %r != %r" % (name, k, b[k], case[k]))
        check(b["magic"] == case["builder"]["magic"], name + ": magic vs builder")
        check(b["compression_type"] == case["builder"]["compression_type"]
              == case["attributes"] & 7, name + ": compression_type")
        for k in ("producer_id", "producer_epoch", "base_sequence"):
            check(b[k] == case["builder"][k], "%s: %s vs builder" % (name, k))
        check(bool(b["attributes"] & 0x10) == case["builder"]["is_transactional"],
              name + ": transactional bit")
        check(b["crc_valid"] is True, name + ": crc_valid")
        exp = expected_records(case)
        check(b["records"] == exp, name + ": records")
        check(b["record_count"] == len(exp), name + ": record_count")
        check(b["last_offset_delta"] == case["records"][-1]["offset"], name + ": last_offset_delta")
        check(b["first_timestamp"] == case["records"][0]["timestamp"], name + ": first_timestamp")
        check(b["max_timestamp"] == max(r["timestamp"] for r in case["records"]),
              name + ": max_timestamp")

    # segment(s): concatenated batches with broker-assigned base offsets
    for seg in doc["segments"]:
        path = os.path.join(HERE, seg["file"])
        rc, out, err = decode(path)
        check(rc == 0, "%s: decode.py exit %d: %s" % (seg["name"], rc, err.strip()))
        if rc != 0:
            continue
        batches = json.loads(out)["batches"]
        check(len(batches) == len(seg["batches"]), seg["name"] + ": batch count")
        for got, want in zip(batches, seg["batches"]):
            case = cases[want["case"]]
            check(got["base_offset"] == want["base_offset"], seg["name"] + ": base_offset")
            check(got["partition_leader_epoch"] == want["partition_leader_epoch"],
                  seg["name"] + ": partition_leader_epoch")
            check(got["crc"] == case["crc"], seg["name"] + ": crc unchanged")
            check(got["records"] == expected_records(case, want["base_offset"]),
                  seg["name"] + ": records of " + want["case"])

    # 4. failure modes of decode.py
    with open(os.path.join(HERE, "single.bin"), "rb") as f:
        single = bytearray(f.read())
    with tempfile.TemporaryDirectory() as tmp:
        def write(name, data):
            p = os.path.join(tmp, name)
            with open(p, "wb") as f:
                f.write(data)
            return p

        bad = bytearray(single)
        bad[-2] ^= 0x01  # flip a bit in the value
        rc, _, err = decode(write("bad.bin", bad))
        check(rc == 1 and "CRC" in err, "corrupted payload -> exit 1 (got %d)" % rc)

        moved = bytearray(single)
        struct.pack_into(">q", moved, 0, 1000)
        struct.pack_into(">i", moved, 12, 9)
        rc, out, _ = decode(write("moved.bin", moved))
        ok = rc == 0 and json.loads(out)["batches"][0]["records"][0]["offset"] == 1000
        check(ok, "baseOffset/partitionLeaderEpoch outside CRC")

        rc, _, _ = decode(write("trunc.bin", single + single[:30]))
        check(rc == 2, "trailing partial batch -> exit 2 (got %d)" % rc)

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
