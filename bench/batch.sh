#!/usr/bin/env bash
# `urbantwin batch` throughput and overheads (docs/performance.md, "Batch studies"):
#  1. 20 Chengdu baseline runs, 2024-2027, every model on (seeds 1..20): --jobs 1 vs
#     --jobs 2 --threads-per-job 1, wall time and speed-up; the two studies' tables compared.
#  2. MPI overhead per run: 20 short runs (base year only, no traffic) under `mpirun -n 2`
#     (one worker) vs --jobs 1; (T_mpi - T_jobs) / 20, MPI start-up included.
#  3. Disk per run in `indicators` mode (du of one run directory).
# Needs a quiet machine (the speed-up is meaningless while other work runs).
#   bench/batch.sh [URBANTWIN] [SOURCE_DIR]
set -euo pipefail
ut=$(realpath "${1:-build/release/engine/app/urbantwin}")
src=$(realpath "${2:-.}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sc=$src/scenarios/chengdu-center
cat > "$tmp/twenty.toml" <<TOML
name = "twenty"
scenarios = ["$sc/baseline.toml"]
seeds = 20
until = 2027
TOML
cat > "$tmp/short.toml" <<TOML
name = "short"
scenarios = ["$sc/baseline.toml"]
seeds = 20
until = 2024
[set]
traffic.enabled = false
TOML
t() { local s; s=$(date +%s.%N); "$@" > /dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc -l; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(uname -r)"
j1=$(t "$ut" batch "$tmp/twenty.toml" --out "$tmp/j1" --jobs 1 --threads-per-job 1)
j2=$(t "$ut" batch "$tmp/twenty.toml" --out "$tmp/j2" --jobs 2 --threads-per-job 1)
cmp -s "$tmp/j1/summary.csv" "$tmp/j2/summary.csv" || { echo "summary.csv differs between --jobs 1 and 2"; exit 1; }
printf '20 runs 2024-2027: --jobs 1: %.1f s; --jobs 2 --threads-per-job 1: %.1f s; speed-up %.2f\n' "$j1" "$j2" "$(echo "$j1 / $j2" | bc -l)"
s1=$(t "$ut" batch "$tmp/short.toml" --out "$tmp/s1" --jobs 1)
if command -v mpirun > /dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  sm=$(t mpirun --oversubscribe -n 2 "$ut" batch "$tmp/short.toml" --out "$tmp/sm")
  cmp -s "$tmp/s1/summary.csv" "$tmp/sm/summary.csv" || { echo "summary.csv differs between --jobs 1 and MPI"; exit 1; }
  printf '20 short runs: --jobs 1: %.2f s; mpirun -n 2: %.2f s; MPI overhead per run %.3f s (start-up included)\n' "$s1" "$sm" \
    "$(echo "($sm - $s1) / 20" | bc -l)"
fi
"$ut" batch "$tmp/twenty.toml" --out "$tmp/j1" --summarize --quiet
printf 'indicators mode, one run 2024-2027: %s KB (du -k); the study folder of 20 runs: %s KB\n' \
  "$(du -sk "$tmp/j1/runs/chengdu-center-baseline_seed-1" | cut -f1)" "$(du -sk "$tmp/j1" | cut -f1)"
