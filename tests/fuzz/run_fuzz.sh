#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time on a COPY of its committed seed corpus (the
# committed corpus never grows) and fails on any finding: a crash, a sanitizer report, a leak,
# an exception other than InputError, a slow input (> 10 s) or an allocation past 2 GiB.
# Usage: run_fuzz.sh FUZZER CORPUS_DIR FINDINGS_DIR SECONDS MAX_LEN [DICT]
# UT_FUZZ_SECONDS in the environment overrides SECONDS. A finding's input is kept in FINDINGS_DIR.
set -euo pipefail
fuzzer=$1 corpus=$2 findings=$3 seconds=${UT_FUZZ_SECONDS:-$4} max_len=$5 dict=${6:-}

# Scratch files in memory when /dev/shm is there (the OSM target writes a GeoPackage per input).
base=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
work=$(mktemp -d "$base/ut-fuzz-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/tmp" "$findings"
rm -f "$findings"/*
cp -r "$corpus/." "$work/corpus/"
name=$(basename "$fuzzer")

# The harness's scratch files live under $work/tmp, removed with $work even after a crash.
# Sanitizers stop at the first report; the harness turns escaping exceptions into aborts.
set +e
TMPDIR="$work/tmp" \
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    ${dict:+-dict="$dict"} -print_final_stats=1 -artifact_prefix="$findings/" "$work/corpus" >"$work/log" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ]; then
  tail -n 200 "$work/log"
  echo "$name: FINDING (exit $rc); the input is in $findings/:" >&2
  ls -l "$findings" >&2
  echo "Replay: $fuzzer $findings/<file>; save it as tests/fuzz/crashes/<target>-<what>.<ext> and in the seed corpus." >&2
  exit 1
fi
tail -n 25 "$work/log"
echo "$name: ${seconds} s without a finding (seed corpus: $(ls "$corpus" | wc -l) files)"
