#!/usr/bin/env bash
# Starts the benchmark cluster on this machine: an in-memory Azurite (10000-10002) and three Release broker
# processes (gateways 30000-30002, Kafka 9092-9094, HTTP 8080-8082) with their data in $DATA (default
# /tmp/ostream-bench, wiped first), and waits until all three are ready. Stop it with cluster-down.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="${DATA:-/tmp/ostream-bench}"
cd "$ROOT"
"$(dirname "$0")/cluster-down.sh"
rm -rf "$DATA" && mkdir -p "$DATA"
dotnet build -c Release -v q src/Orleans.Stream.Silo >/dev/null
node node_modules/azurite/dist/src/azurite.js --blobHost 127.0.0.1 --blobPort 10000 --queueHost 127.0.0.1 --queuePort 10001 \
  --tableHost 127.0.0.1 --tablePort 10002 --inMemoryPersistence --loose --skipApiVersionCheck --disableTelemetry --silent \
  >"$DATA/azurite.log" 2>&1 &
sleep 2
CONN="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
for i in 0 1 2; do
  dotnet src/Orleans.Stream.Silo/bin/Release/net10.0/ostream-broker.dll --broker-id "$i" --data-dir "$DATA/broker-$i" --storage "$CONN" \
    >"$DATA/broker-$i.log" 2>&1 &
done
for i in 0 1 2; do
  for _ in $(seq 90); do curl -sf "http://127.0.0.1:$((8080 + i))/ready" >/dev/null && break; sleep 1; done
  curl -sf "http://127.0.0.1:$((8080 + i))/ready" >/dev/null || { echo "broker $i is not ready (see $DATA/broker-$i.log)" >&2; exit 1; }
done
echo "cluster up: data in $DATA"
