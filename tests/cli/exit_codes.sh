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
for s in "$src"/scenarios/chengdu-center/*.toml; do
  "$ut" validate "$s" | grep -q valid || fail "validate $s"
done
echo "exit codes as documented"
