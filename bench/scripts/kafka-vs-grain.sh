#!/usr/bin/env bash
# The Kafka path against the grain client on one fresh 3-broker cluster (docs/benchmarks.md, issue 8): RF=3 topics of
# 6 partitions, min.insync.replicas=2, 1 KiB values, acks=all with idempotence on both sides. Each load runs twice
# after a warm-up, first with every process free to use both cores, then with the brokers and Azurite pinned to core
# 0 and the client to core 1 (the client on its own CPU, as it would be on its own machine). Prints the load tool's
# result lines and the CPU seconds the brokers used for each run. kcat (Debian's package) is the C client, if present.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$ROOT"
RECORDS="${RECORDS:-1000000}"
dotnet build -c Release -v q bench/Orleans.Stream.LoadTest >/dev/null
dotnet build -c Release -v q src/Orleans.Stream.Cli >/dev/null
P="dotnet bench/Orleans.Stream.LoadTest/bin/Release/net10.0/ostream-perf.dll"
O="dotnet src/Orleans.Stream.Cli/bin/Release/net10.0/ostream.dll"

broker_ticks() {
  local total=0
  for pid in $(pgrep -f ostream-broker.dll); do
    read -r utime stime < <(cut -d' ' -f14,15 "/proc/$pid/stat")
    total=$((total + utime + stime))
  done
  echo "$total"
}

# measure LABEL CMD...: the command's output (last line) and the brokers' CPU seconds while it ran
measure() {
  local label="$1"; shift
  local before after start end
  before=$(broker_ticks); start=$(date +%s.%N)
  local out; out=$("$@" 2>&1 | tail -n 1)
  end=$(date +%s.%N); after=$(broker_ticks)
  printf '%-28s %s | wall %.2f s, brokers CPU %.2f s\n' "$label" "$out" "$(echo "$end - $start" | bc)" "$(echo "($after - $before) / 100" | bc -l)"
}

"$HERE/cluster-up.sh"
$O topic create k1 --partitions 6 --replication-factor 3 --config min.insync.replicas=2 >/dev/null
$O topic create g1 --partitions 6 --replication-factor 3 --config min.insync.replicas=2 >/dev/null
LINES="${DATA:-/tmp/ostream-bench}/lines.txt"
python3 -c "import sys; sys.stdout.buffer.write((b'x' * 1024 + b'\n') * 500000)" >"$LINES"

GRAIN_PRODUCE=(produce --topic g1 --partitions 6 --producers 2 --batch-size 1000000 --replication-factor 3 --min-insync-replicas 2 --records "$RECORDS")
KAFKA_PRODUCE=(kafka-produce --topic k1 --records "$RECORDS")
measure "warm-up grain produce" $P "${GRAIN_PRODUCE[@]}"
measure "warm-up kafka produce" $P "${KAFKA_PRODUCE[@]}"

for mode in shared pinned; do
  PIN=()
  if [ "$mode" = pinned ]; then
    for pid in $(pgrep -f ostream-broker.dll) $(pgrep -f 'azurite/dist/src/azurite.js'); do taskset -a -p -c 0 "$pid" >/dev/null; done
    PIN=(taskset -c 1)
  fi

  echo "== $mode cores"
  for round in $(seq "${ROUNDS:-2}"); do
    measure "grain produce ($round)" "${PIN[@]}" $P "${GRAIN_PRODUCE[@]}"
    measure "kafka produce ($round)" "${PIN[@]}" $P "${KAFKA_PRODUCE[@]}"
    measure "grain consume ($round)" "${PIN[@]}" $P consume --topic g1 --records "$RECORDS"
    measure "kafka consume ($round)" "${PIN[@]}" $P kafka-consume --topic k1 --records "$RECORDS" --partitions 6
    if command -v kcat >/dev/null; then
      measure "kcat produce 500k ($round)" "${PIN[@]}" kcat -P -b 127.0.0.1:9092 -t k1 -X acks=all -X enable.idempotence=true \
        -X linger.ms=5 -X batch.size=1000000 -X queue.buffering.max.kbytes=262144 -l "$LINES"
      measure "kcat consume 1M ($round)" "${PIN[@]}" sh -c "kcat -C -b 127.0.0.1:9092 -t k1 -o beginning -e -q -c 1000000 -f '%o\n' | wc -l"
    fi
  done
done

"$HERE/cluster-down.sh"
