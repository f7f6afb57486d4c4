#!/usr/bin/env bash
# Contract: --help and --version exit 0; usage errors exit 2; validate succeeds on the bundled scenarios.
set -uo pipefail
ut=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }
"$ut" --help >/dev/null || fail "--help"
"$ut" --version | grep -q urbantwin || fail "--version"
"$ut" run --help >/dev/null || fail "run --help"
"$ut" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no subcommand must exit 2"
"$ut" run >/dev/null 2>&1; [ $? -eq 2 ] || fail "run without scenario must exit 2"
"$ut" run x.toml --threads 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--threads 0 must exit 2"
# --until outside the scenario's years: exit 2 before any work, naming the scenario, option and range.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ut" run "$src/scenarios/chengdu-center/baseline.toml" --until 2020 --out "$tmp/r" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "baseline.toml: option --until: must be a year the scenario simulates (base_year..end_year = 2024..2035) (got 2020)" "$tmp/err" \
  || fail "--until 2020: exit $rc, $(cat "$tmp/err")"
[ ! -e "$tmp/r" ] || fail "--until 2020 left an output"
for s in "$src"/scenarios/chengdu-center/*.toml; do
  "$ut" validate "$s" | grep -q valid || fail "validate $s"
done
echo "exit codes as documented"
