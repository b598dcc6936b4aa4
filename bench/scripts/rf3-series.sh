#!/usr/bin/env bash
# The RF=3 series of docs/benchmarks.md: a fresh cluster (cluster-up.sh), one warm-up run and two runs at the
# maximum rate, then one run at each of $RATES records/s; then the cluster stops. Each line is the load tool's result.
#   PARTS   partitions of the topic (default 6)            RATES  fixed rates (default "55000 55000 74000")
#   ACKS    acks of the fixed-rate runs (default all)
#   Broker__PageCacheTailBytes and other Broker__/Kafka__ settings pass through to the brokers.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
dotnet build -c Release -v q bench/Orleans.Stream.LoadTest >/dev/null
"$(dirname "$0")/cluster-up.sh" >/dev/null
trap '"$(dirname "$0")/cluster-down.sh"' EXIT
P="dotnet bench/Orleans.Stream.LoadTest/bin/Release/net10.0/ostream-perf.dll"
C="--partitions ${PARTS:-6} --producers 2 --batch-size 1000000 --replication-factor 3 --min-insync-replicas 2 --max-seconds 40"
for run in warm-up max max; do
  echo "$run: $($P produce --topic r3 $C --records 1000000 2>&1 | grep -E '^produce:' | sed 's/ \[producers.*//')"
done
for rate in ${RATES:-55000 55000 74000}; do
  echo "at $rate/s: $($P produce --topic r3 $C --records $((rate * 10)) --rate "$rate" --acks "${ACKS:-all}" 2>&1 | grep -E '^produce:' | sed 's/ \[producers.*//')"
done
