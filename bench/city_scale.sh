#!/usr/bin/env bash
# Issue 15: the synthetic city of bench/citygen at sizes S, M and L, generated and run end to end
# (docs/performance.md, "The synthetic city, end to end").
#
#   bench/city_scale.sh BUILD_DIR WORK_DIR [SIZES...] [-- RUN_OPTIONS...]
#   bench/city_scale.sh build/ci /tmp/scale S M L
#   bench/city_scale.sh build/ci /tmp/scale L -- --until 2024 --set traffic.enabled=false
#
# For each size: WORK_DIR/SIZE (the city, made once), WORK_DIR/SIZE-run (the run, replaced),
# WORK_DIR/SIZE-run.time (/usr/bin/time -v), and a line of phase seconds from timings.json.
# The run shows its progress on stderr when stderr is a terminal.
set -euo pipefail
build=$1 work=$2; shift 2
sizes=() run_opts=()
while [ $# -gt 0 ]; do
  if [ "$1" = -- ]; then shift; run_opts=("$@"); break; fi
  sizes+=("$1"); shift
done
[ ${#sizes[@]} -gt 0 ] || sizes=(S M L)
gen=$build/bench/citygen ut=$build/engine/app/urbantwin
mkdir -p "$work"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB; $(uptime)"
for size in "${sizes[@]}"; do
  [ -f "$work/$size/scenario.toml" ] || /usr/bin/time -f "citygen $size: %e s, %M KiB peak" "$gen" "$size" "$work/$size"
  /usr/bin/time -v -o "$work/$size-run.time" "$ut" run "$work/$size/scenario.toml" --out "$work/$size-run" --overwrite \
    --threads "${THREADS:-2}" "${run_opts[@]}"
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/$size-run.time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/$size-run.time")
  python3 - "$work/$size-run/timings.json" "$size" "$wall" "$rss" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
ph = ", ".join(f"{k} {v:.2f}" for k, v in t["phase_seconds"].items())
print(f"{sys.argv[2]}: wall {sys.argv[3]}, peak RSS {int(sys.argv[4]) / 1048576:.2f} GiB, threads {t['threads']}; phases (s): {ph}")
PY
  echo "$size: uptime after: $(uptime)"
done
