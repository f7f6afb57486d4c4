#!/usr/bin/env bash
# Wall time and peak memory of `urbantwin assign` on the TNTP networks (read from the shared data
# folder, never copied here). Best of N runs per case; prints a Markdown table for
# docs/performance.md, with the CPU time (user + sys) of the best run, the figure a busy machine
# disturbs least.
#   bench/assign.sh [URBANTWIN] [TNTP_DIR] [RUNS] [THREADS]
# UT_BENCH_PREFIX, if set, is put before each command: on a machine that other jobs share,
# UT_BENCH_PREFIX="chrt -f 20" (as root) runs the solver ahead of them (docs/performance.md).
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
prefix=${UT_BENCH_PREFIX:-}
echo "| network | target gap | threads | best wall s (of $runs) | its CPU s | solve s | gap s | iterations | reached gap | objective | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  IFS='|' read -r name gap net trips extra <<< "$c"
  best=""
  for ((r = 0; r < runs; r++)); do
    # shellcheck disable=SC2086
    out=$( { $prefix /usr/bin/time -f "%e %M %U %S" "$ut" assign --net "$net" --trips "$trips" $extra --gap "$gap" --threads "$threads" --json; } 2>/tmp/ut_bench_time )
    read -r wall rss user sys < /tmp/ut_bench_time
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; bestrss=$rss; bestcpu=$(echo "$user + $sys" | bc -l); bestjson=$out; fi
  done
  field() { printf '%s' "$bestjson" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
  printf '| %s | %s | %s | %s | %.2f | %.3f | %.3f | %s | %.2e | %.7f | %.0f |\n' "$name" "$gap" "$threads" "$best" "$bestcpu" \
    "$(field seconds_solve)" "$(field seconds_gap)" "$(field iterations)" "$(field relative_gap)" "$(field objective)" "$(echo "$bestrss / 1024" | bc -l)"
done
