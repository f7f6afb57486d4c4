#!/usr/bin/env bash
# `urbantwin run --seed N --set KEY=VALUE`: overrides are validated like the file (unknown key:
# the nearest one suggested, exit 2, no output), recorded in manifest.json and in the run's
# scenario.toml; the file's own seed given as --seed changes nothing; another seed changes the
# population model's draws.
set -euo pipefail
ut=$1 src=$2
sc=$src/scenarios/chengdu-center/baseline.toml
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$ut" run "$sc" --until 2025 --set traffic.enabled=false --out "$tmp/a" --quiet
"$ut" run "$sc" --until 2025 --set traffic.enabled=false --seed 20240101 --out "$tmp/b" --quiet
"$ut" run "$sc" --until 2025 --set traffic.enabled=false --seed 7 --set homes.spacing_m=100 --out "$tmp/c" --quiet
cmp -s "$tmp/a/indicators.csv" "$tmp/b/indicators.csv" || fail "--seed equal to the file's seed changed the indicators"
cmp -s "$tmp/a/outputs.gpkg" "$tmp/b/outputs.gpkg" || fail "--seed equal to the file's seed changed outputs.gpkg"
births() { awk -F, -v y=2025 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "births") c = i } $1 == y { print $c }' "$1/indicators.csv"; }
[ "$(births "$tmp/a")" != "$(births "$tmp/c")" ] || fail "another seed drew the same births ($(births "$tmp/a"))"
seed=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['seed'])" "$tmp/c/manifest.json")
[ "$seed" = 7 ] || fail "manifest seed $seed, expected 7"
ov=$(python3 -c "import json,sys; print(';'.join(o['key'] + '=' + o['value'] for o in json.load(open(sys.argv[1]))['overrides']))" "$tmp/c/manifest.json")
[ "$ov" = "traffic.enabled=false;homes.spacing_m=100;seed=7" ] || fail "manifest overrides: $ov"
grep -qx "seed = 7" "$tmp/c/scenario.toml" || fail "scenario.toml lacks seed = 7"
grep -qx "spacing_m = 100" "$tmp/c/scenario.toml" || fail "scenario.toml lacks spacing_m = 100"
grep -q "^seed = 20240101$" "$tmp/a/scenario.toml" || fail "scenario.toml of a plain run lacks the file's seed"
# A coarser lattice: fewer home points (counted in the manifest).
pts() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['network']['home_points'])" "$1/manifest.json"; }
[ "$(pts "$tmp/c")" -lt "$(pts "$tmp/a")" ] || fail "spacing 100 m gave $(pts "$tmp/c") home points, 50 m gave $(pts "$tmp/a")"

bad() {  # expected message, then arguments
  local want=$1; shift
  set +e; "$ut" run "$sc" --until 2024 --out "$tmp/bad" --quiet "$@" 2> "$tmp/err"; local rc=$?; set -e
  [ $rc -eq 2 ] || fail "$* exited $rc, expected 2"
  grep -qF -- "$want" "$tmp/err" || fail "$*: message lacks '$want': $(cat "$tmp/err")"
  [ ! -e "$tmp/bad" ] || fail "$*: an output was written"
}
bad "option --set: key homes.spacng_m: unknown key; did you mean 'spacing_m'?" --set homes.spacng_m=100
bad "key homes.spacing_m: must be in [5, 1000] (got 1)" --set homes.spacing_m=1
bad "option --set seed: must be KEY=VALUE" --set seed
bad "option --set layers=1: KEY must name a scalar key, not a table or an array" --set layers=1
bad "key seed: must be in [0, 9223372036854775807] (got -3)" --seed -3
bad "key seed: must be" --seed 1.5
echo "run overrides: ok"
