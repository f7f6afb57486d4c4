#!/usr/bin/env bash
# Wall time and peak memory of `urbantwin assign` on the TNTP networks (read from the shared data
# folder, never copied here). Best of N runs per case; prints a Markdown table for
# docs/performance.md.
#   bench/assign.sh [URBANTWIN] [TNTP_DIR] [RUNS] [THREADS]
set -euo pipefail
ut=${1:-build/release/engine/app/urbantwin}
dir=${2:-../shared/data/tntp}
runs=${3:-5}
threads=${4:-2}
[ -f "$dir/ChicagoSketch/ChicagoSketch_net.tntp" ] || { echo "TNTP networks not found under $dir"; exit 77; }
cases=(
  "ChicagoSketch|1e-6|$dir/ChicagoSketch/ChicagoSketch_net.tntp|$dir/ChicagoSketch/ChicagoSketch_trips.tntp|--toll-factor 0.02 --distance-factor 0.04"
  "ChicagoSketch|1e-10|$dir/ChicagoSketch/ChicagoSketch_net.tntp|$dir/ChicagoSketch/ChicagoSketch_trips.tntp|--toll-factor 0.02 --distance-factor 0.04"
  "BerlinCenter|1e-6|$dir/BerlinCenter/berlin-center_net.tntp|$dir/BerlinCenter/berlin-center_trips.tntp|"
)
echo "| network | target gap | threads | best wall s (of $runs) | solve s | gap s | iterations | reached gap | objective | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  IFS='|' read -r name gap net trips extra <<< "$c"
  best=""
  for ((r = 0; r < runs; r++)); do
    # shellcheck disable=SC2086
    out=$( { /usr/bin/time -f "%e %M" "$ut" assign --net "$net" --trips "$trips" $extra --gap "$gap" --threads "$threads" --json; } 2>/tmp/ut_bench_time )
    read -r wall rss < /tmp/ut_bench_time
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; bestrss=$rss; bestjson=$out; fi
  done
  field() { printf '%s' "$bestjson" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
  printf '| %s | %s | %s | %s | %.3f | %.3f | %s | %.2e | %.7f | %.0f |\n' "$name" "$gap" "$threads" "$best" \
    "$(field seconds_solve)" "$(field seconds_gap)" "$(field iterations)" "$(field relative_gap)" "$(field objective)" "$(echo "$bestrss / 1024" | bc -l)"
done
