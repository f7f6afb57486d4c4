#!/usr/bin/env bash
# `urbantwin site-select --objective supply` (docs/site-select.md): 5 kindergartens on central
# Chengdu in 2024 chosen for the residents whose 2SFCA supply newly meets the profile's norm
# (30 seats per 1,000); the outputs say so and agree; the what-if runs with `urbantwin run` and
# raises the city's supply; one thread chooses the same; bad objectives exit 2 naming the option.
# (The exact gain of a run of the what-if file: test_siting.cpp, "[siting][supply][chengdu]".)
set -euo pipefail
ut=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sc=$src/scenarios/chengdu-center/baseline.toml
fail() { echo "FAIL: $*"; exit 1; }

"$ut" site-select "$sc" --class kindergarten --count 5 --objective supply --out "$tmp/sel" > "$tmp/sel.txt"
cat "$tmp/sel.txt"
grep -q "supply_kindergarten_per_1000 >= 30" "$tmp/sel.txt" || fail "the summary does not name the norm"
for f in manifest.json sites.gpkg gain.csv whatif.toml ATTRIBUTION.txt; do [ -s "$tmp/sel/$f" ] || fail "no $f"; done
python3 - "$tmp/sel/manifest.json" "$tmp/sel/gain.csv" <<'PY' || fail "manifest.json and gain.csv disagree"
import csv, json, sys
m = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
assert m["kind"] == "site-select" and m["objective"] == "supply", m
n = m["supply_norm"]
assert (n["indicator"], n["op"], n["target"], n["site_capacity"], n["catchment"]) == \
    ("supply_kindergarten_per_1000", ">=", 30, 270, 500), n
assert len(rows) == 5, rows
cum = 0
for r in rows:
    assert int(r["residents_new"]) >= 0
    cum += int(r["residents_new"])
    assert int(r["residents_cumulative"]) == cum, r
assert cum == m["residents_new"] > 0, (cum, m["residents_new"])
assert m["greedy_residents_new"] <= cum
assert 0 <= m["residents_served_before"] < m["residents"]
print(f"supply: +{cum} residents at the norm (before {m['residents_served_before']} of {m['residents']})")
PY
n=$(sqlite3 "$tmp/sel/sites.gpkg" "select count(*) from sites where class = 'kindergarten'")
[ "$n" = 5 ] || fail "sites.gpkg has $n sites, expected 5"
[ "$(sqlite3 "$tmp/sel/sites.gpkg" "select value from about where key = 'objective'")" = supply ] || fail "sites.gpkg about: objective"
[ "$(grep -c '^\[\[add_facility\]\]' "$tmp/sel/whatif.toml")" = 5 ] || fail "whatif.toml has not 5 [[add_facility]]"

# The what-if runs from elsewhere and raises the city's kindergarten supply in 2024.
"$ut" run "$sc" --until 2024 --keep indicators --out "$tmp/base" --quiet
cp "$tmp/sel/whatif.toml" "$tmp/moved.toml"
(cd / && "$ut" run "$tmp/moved.toml" --until 2024 --keep indicators --out "$tmp/what" --quiet)
python3 - "$tmp/base/indicators.csv" "$tmp/what/indicators.csv" <<'PY' || fail "the what-if does not raise the supply"
import csv, sys
b, w = (next(r for r in csv.DictReader(open(f)) if r["year"] == "2024") for f in sys.argv[1:3])
col = "supply_kindergarten_per_1000"
print(f"{col}: baseline {b[col]}, what-if {w[col]}")
assert b["population"] == w["population"]
assert float(w[col]) > float(b[col])
PY

# One thread chooses the same.
"$ut" site-select "$sc" --class kindergarten --count 5 --objective supply --out "$tmp/one" --threads 1 --quiet
cmp -s "$tmp/sel/gain.csv" "$tmp/one/gain.csv" || fail "--threads 1 chose differently"

expect2() {  # expect2 WHAT PATTERN ARGS...: exit 2 and stderr matching PATTERN
  local what=$1 pat=$2; shift 2
  set +e; "$ut" "$@" 2> "$tmp/err" > /dev/null; local rc=$?; set -e
  [ $rc = 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$tmp/err"))"
  grep -q -- "$pat" "$tmp/err" || fail "$what: message lacks '$pat': $(cat "$tmp/err")"
}
expect2 "unknown objective" "option --objective.*did you mean 'supply'" site-select "$sc" --class kindergarten --count 1 --objective suply --out "$tmp/x"
expect2 "empty objective" "must be coverage or supply" site-select "$sc" --class kindergarten --count 1 --objective "" --out "$tmp/x"
expect2 "a class without 2SFCA" "2SFCA" site-select "$sc" --class elderly_care --count 1 --objective supply --out "$tmp/x"
expect2 "a class without a norm" "\[\[compliance\]\]" site-select "$sc" --class health --count 1 --objective supply --out "$tmp/x"
[ ! -e "$tmp/x" ] || fail "a refused command left $tmp/x"
echo "site-select --objective supply: outputs, what-if, threads and bad objectives OK"
