# Cross-check of the generated Kafka codecs against an independent implementation (Debian's python3-kafka,
# kafka-python 2.0.2, classic versions only). Reads a JSON object of our encodings (hex) on stdin; prints a JSON
# object with kafka-python's encodings of the same requests and its decodings of our responses.
import json
import sys

from kafka.protocol.fetch import FetchRequest, FetchResponse
from kafka.protocol.metadata import MetadataRequest, MetadataResponse
from kafka.protocol.offset import OffsetRequest, OffsetResponse
from kafka.protocol.produce import ProduceRequest, ProduceResponse

ours = json.load(sys.stdin)

def encode(request):
    return request.encode().hex()

requests = {
    "metadata_v1": MetadataRequest[1](topics=["a", "bb"]),
    "metadata_v1_all": MetadataRequest[1](topics=None),
    "produce_v3": ProduceRequest[3](transactional_id=None, required_acks=-1, timeout=1000, topics=[("t", [(0, b"xyz"), (2, b"")])]),
    "fetch_v4": FetchRequest[4](replica_id=-1, max_wait_time=500, min_bytes=1, max_bytes=1000, isolation_level=0, topics=[("t", [(0, 5, 1024)])]),
    "list_offsets_v1": OffsetRequest[1](replica_id=-1, topics=[("t", [(0, -1), (1, 1700000000000)])]),
}
out = {"requests": {name: encode(r) for name, r in requests.items()}, "responses": {}}

def to_json(value):
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value

decoders = {
    "metadata_v1": MetadataResponse[1],
    "produce_v3": ProduceResponse[3],
    "fetch_v4": FetchResponse[4],
    "list_offsets_v1": OffsetResponse[1],
}
for name, hexed in ours["responses"].items():
    decoded = decoders[name].decode(bytes.fromhex(hexed))
    out["responses"][name] = {field: to_json(getattr(decoded, field)) for field in decoded.SCHEMA.names}

json.dump(out, sys.stdout)
