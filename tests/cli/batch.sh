#!/usr/bin/env bash
# `urbantwin batch`: a small study (2 scenarios x 3 seeds, 2024-2026, no traffic) run four ways
# must give byte-identical study outputs: --jobs 2 in one go; killed with kill -9 mid-way and
# rerun (only the unfinished runs run again, finished run directories are not touched); as three
# shards --shard i/3; under mpirun -n 3 (when MPI is built in: scripts/setup --test installs it).
# A failed run stays failed until --retry-failed; a study folder that is not ours is refused.
set -euo pipefail
ut=$1 src=$2
tmp=$(mktemp -d); trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
sc=$src/scenarios/chengdu-center
cat > "$tmp/study.toml" <<TOML
name = "tiny"
scenarios = ["$sc/baseline.toml", "$sc/whatif-upzoning-metro.toml"]
reference = "chengdu-center-baseline"
seeds = 3
keep = "+parcels"
until = 2026
[set]
traffic.enabled = false
TOML
same() {  # study dirs A and B have byte-identical tables
  for f in study.json indicators_long.csv summary.csv differences.csv; do
    cmp -s "$1/$f" "$2/$f" || fail "$f differs between $1 and $2: $(diff "$1/$f" "$2/$f" | head -4)"
  done
  [ "$(sqlite3 "$1/parcels_summary.gpkg" .dump | md5sum)" = "$(sqlite3 "$2/parcels_summary.gpkg" .dump | md5sum)" ] ||
    fail "parcels_summary.gpkg differs between $1 and $2"
}

"$ut" batch "$tmp/study.toml" --out "$tmp/a" --jobs 2 --quiet
[ "$(ls "$tmp/a/runs" | wc -l)" -eq 6 ] || fail "expected 6 run directories: $(ls "$tmp/a/runs")"
done_runs=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['done'])" "$tmp/a/study.json")
[ "$done_runs" -eq 6 ] || fail "study.json counts $done_runs done runs"
# summary.csv: n = 3 seeds; population 2024 is the synthesis total in every run (sd 0).
grep -q "^chengdu-center-baseline,chengdu-center-baseline,traffic.enabled=false,2024,population,3,922621.000000,0.000000," "$tmp/a/summary.csv" ||
  fail "summary.csv lacks the 2024 population row: $(grep ',2024,population,' "$tmp/a/summary.csv")"
# indicators_long.csv: one row per run, year and indicator.
rows=$(($(wc -l < "$tmp/a/indicators_long.csv") - 1))
per_run=$(($(wc -l < "$tmp/a/runs/chengdu-center-baseline_seed-1/indicators.csv") - 1))
ncol=$(head -1 "$tmp/a/runs/chengdu-center-baseline_seed-1/indicators.csv" | tr ',' '\n' | wc -l)
[ "$rows" -eq $((6 * per_run * (ncol - 1))) ] || fail "indicators_long.csv has $rows rows, expected $((6 * per_run * (ncol - 1)))"
# Common random numbers: paired by seed, the what-if's interval is narrower than Welch's unpaired
# one for most indicators (each household's draws depend only on seed and household; were they
# drawn by position, pairing would gain nothing and lose degrees of freedom).
read -r narrower wider < <(awk -F, 'NR > 1 && $3 == 2026 && $8 != "" && $11 != "" && $12 - $11 > 0 {
  if ($9 - $8 < $12 - $11) n++; else w++ } END { print n + 0, w + 0 }' "$tmp/a/differences.csv")
[ "$narrower" -gt $((2 * wider)) ] || fail "paired intervals narrower for only $narrower indicators, wider for $wider"
# A rerun finds everything done and runs nothing.
"$ut" batch "$tmp/study.toml" --out "$tmp/a" 2> "$tmp/rerun.err" > /dev/null
grep -q "6 runs: 6 done, 0 failed earlier, 0 to run" "$tmp/rerun.err" || fail "rerun did not skip: $(cat "$tmp/rerun.err")"

# Killed mid-way (kill -9 of the batch; its runs die with it), then resumed.
"$ut" batch "$tmp/study.toml" --out "$tmp/b" --jobs 1 --quiet &
pid=$!
for _ in $(seq 1 600); do
  n=$(ls "$tmp/b/runs" 2>/dev/null | grep -vc '^\.' || true)
  [ "$n" -ge 2 ] && break
  sleep 0.1
done
kill -9 $pid; wait $pid 2>/dev/null || true
sleep 0.5
finished=$(ls "$tmp/b/runs" | grep -vc '^\.' || true)
[ "$finished" -ge 2 ] && [ "$finished" -lt 6 ] || fail "kill -9 came after $finished of 6 runs; expected mid-way"
! pgrep -f "$tmp/b/runs" > /dev/null || fail "a run of the killed study is still running"
first=$(ls "$tmp/b/runs" | grep -v '^\.' | head -1)
inode=$(stat -c %i "$tmp/b/runs/$first/manifest.json")
"$ut" batch "$tmp/study.toml" --out "$tmp/b" --jobs 1 2> "$tmp/resume.err" > /dev/null
grep -q "6 runs: $finished done, 0 failed earlier, $((6 - finished)) to run" "$tmp/resume.err" ||
  fail "the resumed study did not run only the unfinished runs: $(head -1 "$tmp/resume.err")"
[ "$(stat -c %i "$tmp/b/runs/$first/manifest.json")" = "$inode" ] || fail "a finished run ($first) was run again"
same "$tmp/a" "$tmp/b"

# Shards: each runs its third; the last one writes the tables.
for i in 0 1 2; do "$ut" batch "$tmp/study.toml" --out "$tmp/c" --shard "$i/3" --quiet; done
same "$tmp/a" "$tmp/c"

# MPI: rank 0 hands out the runs to ranks 1 and 2.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
if command -v mpirun > /dev/null && ! timeout 60 mpirun -n 2 true > "$tmp/mpi-probe.out" 2>&1; then
  echo "note: this machine cannot start MPI jobs (mpirun -n 2 true failed: $(head -3 "$tmp/mpi-probe.out" | tr '\n' ' ')); the MPI comparison was skipped"
elif command -v mpirun > /dev/null; then
  set +e; mpirun --oversubscribe -n 3 "$ut" batch "$tmp/study.toml" --out "$tmp/d" --quiet > "$tmp/mpi.out" 2>&1; rc=$?; set -e
  if grep -q "MPI is not built in" "$tmp/mpi.out"; then
    [ $rc -ne 0 ] || fail "without MPI built in, mpirun ... batch must fail"
    echo "note: this urbantwin has no MPI built in; the MPI comparison was skipped"
  else
    [ $rc -eq 0 ] || fail "mpirun -n 3 exited $rc: $(tail -5 "$tmp/mpi.out")"
    same "$tmp/a" "$tmp/d"
  fi
else
  echo "note: mpirun not installed; the MPI comparison was skipped"
fi

# A failed run (its directory is taken by a folder that is not a run) stays failed until
# --retry-failed; the study exits 1 and names the log.
mkdir -p "$tmp/e/runs/chengdu-center-baseline_seed-2"; echo mine > "$tmp/e/runs/chengdu-center-baseline_seed-2/notes.txt"
python3 -c "import json; json.dump({'engine': 'urbantwin', 'kind': 'study'}, open('$tmp/e/study.json', 'w'))"
set +e; "$ut" batch "$tmp/study.toml" --out "$tmp/e" --quiet 2> "$tmp/e.err"; rc=$?; set -e
[ $rc -eq 1 ] || fail "a study with a failed run exited $rc, expected 1"
grep -q "1 runs failed" "$tmp/e.err" || fail "no failure message: $(cat "$tmp/e.err")"
grep -q "is not an earlier output of urbantwin run" "$tmp/e/failed/chengdu-center-baseline_seed-2.log" || fail "the failed run's log lacks its reason"
[ -f "$tmp/e/runs/chengdu-center-baseline_seed-2/notes.txt" ] || fail "the folder that is not a run was touched"
set +e; "$ut" batch "$tmp/study.toml" --out "$tmp/e" 2> "$tmp/e2.err" > /dev/null; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "5 done, 1 failed earlier, 0 to run" "$tmp/e2.err" || fail "a failed run was retried without --retry-failed: $(head -1 "$tmp/e2.err")"
rm -rf "$tmp/e/runs/chengdu-center-baseline_seed-2"
"$ut" batch "$tmp/study.toml" --out "$tmp/e" --retry-failed --quiet
[ ! -e "$tmp/e/failed/chengdu-center-baseline_seed-2.log" ] || fail "the retried run's failure log remains"
same "$tmp/a" "$tmp/e"

# compare --study: the paired differences with intervals; the upzoning moves residents.
"$ut" compare --study "$tmp/a" chengdu-center-baseline chengdu-center-upzoning-metro --out "$tmp/cmp" > "$tmp/cmp.out"
grep -q "paired by seed" "$tmp/cmp.out" || fail "compare --study output: $(head -3 "$tmp/cmp.out")"
head -1 "$tmp/cmp/indicator_diff.csv" | grep -q "^year,indicator,n_pairs,mean_a,mean_b,mean_diff,ci95_low,ci95_high,within_noise$" ||
  fail "indicator_diff.csv header: $(head -1 "$tmp/cmp/indicator_diff.csv")"
noise=$(sqlite3 "$tmp/cmp/parcel_diff.gpkg" "select count(*) from parcel_diff where residents_within_noise = 0")
[ "$noise" -gt 0 ] || fail "no parcel's residents change beyond noise under the upzoning"

# Output safety: a folder that is not a study is refused (exit 2), untouched.
mkdir -p "$tmp/other"; echo keep > "$tmp/other/file.txt"
set +e; "$ut" batch "$tmp/study.toml" --out "$tmp/other" --quiet 2> "$tmp/o.err"; rc=$?; set -e
[ $rc -eq 2 ] && grep -q "is not an earlier study of urbantwin" "$tmp/o.err" || fail "a foreign folder was not refused ($rc): $(cat "$tmp/o.err")"
[ "$(ls "$tmp/other")" = file.txt ] || fail "the foreign folder was changed"
# A layer that cannot be read stops the study before any run (exit 2, the layer named).
sed -e "s#\.\./\.\./#$src/#g" -e 's/^layer = "parcels"$/layer = "parcelz"/' -e 's/^name = .*/name = "broken"/' "$sc/baseline.toml" > "$tmp/broken.toml"
sed -e "s#\"$sc/whatif-upzoning-metro.toml\"#\"$tmp/broken.toml\"#" "$tmp/study.toml" > "$tmp/broken-study.toml"
set +e; "$ut" batch "$tmp/broken-study.toml" --out "$tmp/f" --quiet 2> "$tmp/f.err"; rc=$?; set -e
[ $rc -eq 2 ] && grep -q "parcelz" "$tmp/f.err" || fail "a study with an unreadable layer: exit $rc, $(cat "$tmp/f.err")"
[ ! -e "$tmp/f/runs/chengdu-center-baseline_seed-1" ] || fail "a run started although a layer of the study is unreadable"
echo "batch: jobs, kill -9 and resume, shards and MPI give byte-identical studies; failures and foreign folders handled"
