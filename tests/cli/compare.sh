#!/usr/bin/env bash
# `urbantwin compare`: a run against itself differs nowhere; the community-services what-if
# (facilities opening in 2026) equals the baseline in 2024-2025 and raises kindergarten access in
# 2026; bad run directories exit 2 and leave an earlier output untouched.
set -euo pipefail
ut=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sc=$src/scenarios/chengdu-center
"$ut" run "$sc/baseline.toml" --until 2026 --out "$tmp/base" --quiet
"$ut" run "$sc/whatif-community-services.toml" --until 2026 --out "$tmp/what" --quiet
fail() { echo "FAIL: $*"; exit 1; }

"$ut" compare "$tmp/base" "$tmp/base" --out "$tmp/self" > "$tmp/self.txt"
nonzero=$(awk -F, 'NR > 1 && $5 != "" && $5 + 0 != 0' "$tmp/self/indicator_diff.csv" | wc -l)
[ "$nonzero" = 0 ] || fail "a run compared with itself has $nonzero non-zero indicator differences"
n=$(sqlite3 "$tmp/self/parcel_diff.gpkg" "select count(*) from parcel_diff")
[ "$n" = 1356 ] || fail "parcel_diff has $n parcels, expected 1356"
moved=$(sqlite3 "$tmp/self/parcel_diff.gpkg" "select count(*) from parcel_year_diff where residents_diff <> 0")
[ "$moved" = 0 ] || fail "a run compared with itself moves residents in $moved parcel-years"
grep -q "indicators unchanged" "$tmp/self.txt" || fail "no summary on stdout"

"$ut" compare "$tmp/base" "$tmp/what" --out "$tmp/cmp" > "$tmp/cmp.txt"
cat "$tmp/cmp.txt"
for y in 2024 2025; do
  d=$(awk -F, -v y=$y '$1 == y && $2 == "access_kindergarten_pct" {print $5}' "$tmp/cmp/indicator_diff.csv")
  [ "$d" = "0.000000" ] || fail "kindergarten access differs in $y ($d) before the what-if's facilities open"
done
d=$(awk -F, '$1 == 2026 && $2 == "access_kindergarten_pct" {print ($5 > 0) ? "up" : "not up"}' "$tmp/cmp/indicator_diff.csv")
[ "$d" = up ] || fail "kindergarten access did not rise in 2026"
grep -q "access_kindergarten_pct" "$tmp/cmp.txt" || fail "summary does not show the kindergarten access change"
# The solver's convergence is not listed as an effect, and a comparison of single runs says it
# carries no uncertainty and where intervals come from.
grep -q "^  assignment_relative_gap" "$tmp/cmp.txt" && fail "the assignment gap is listed as an effect"
grep -q "^Solver convergence, not an effect: assignment_relative_gap A [0-9.e+-]*, B [0-9.e+-]*$" "$tmp/cmp.txt" ||
  fail "no solver convergence line"
grep -q "^One run of each (both seed [0-9]*): these differences carry no uncertainty estimate.*compare --study" "$tmp/cmp.txt" ||
  fail "no note on the comparison's uncertainty"
# The gap as indicators.csv writes it (6 significant digits, not 6 decimals that round it to 0).
gap=$(awk -F, '$1 == 2026 && $2 == "assignment_relative_gap" {print $3}' "$tmp/cmp/indicator_diff.csv")
case "$gap" in 0.000000|0.000001|"") fail "the gap is written to 6 decimals: $gap" ;; esac
gained=$(sqlite3 "$tmp/cmp/parcel_diff.gpkg" "select count(*) from parcel_diff where share_kindergarten_diff > 0")
[ "$gained" -gt 0 ] || fail "no parcel gained kindergarten access in parcel_diff"
# Opening sites never lengthens a walk: at every home point (the same points in both runs) the
# kindergarten distance of the what-if is at most the baseline's. (Parcel shares may move by a
# resident or two: the population model places households differently once the sites open.)
longer=$(sqlite3 "$tmp/what/outputs.gpkg" "attach '$tmp/base/outputs.gpkg' as b;
  select count(*) from home_points w join b.home_points o on o.point_id = w.point_id
  where o.dist_kindergarten_m is not null and (w.dist_kindergarten_m is null or w.dist_kindergarten_m > o.dist_kindergarten_m)")
[ "$longer" = 0 ] || fail "$longer home points are farther from a kindergarten after sites open"
pts=$(sqlite3 "$tmp/what/outputs.gpkg" "attach '$tmp/base/outputs.gpkg' as b;
  select count(*) from home_points w join b.home_points o on o.point_id = w.point_id and o.parcel_id = w.parcel_id")
[ "$pts" -gt 1356 ] || fail "the runs do not share their home points ($pts)"

# Bad inputs: exit 2, a clear message, the earlier output (a comparison) untouched.
mkdir -p "$tmp/keep" && echo earlier > "$tmp/keep/marker"
echo '{"engine": "urbantwin", "kind": "compare"}' > "$tmp/keep/manifest.json"
set +e
"$ut" compare "$tmp/nope" "$tmp/base" --out "$tmp/keep" --overwrite 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "run directory must exist" "$tmp/err" || fail "missing run directory: exit $rc, $(cat "$tmp/err")"
mkdir -p "$tmp/half" && cp "$tmp/base/indicators.csv" "$tmp/half/"
"$ut" compare "$tmp/base" "$tmp/half" --out "$tmp/keep" --overwrite 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "outputs.gpkg" "$tmp/err" || fail "run directory without outputs.gpkg: exit $rc, $(cat "$tmp/err")"
set -e
[ "$(cat "$tmp/keep/marker")" = earlier ] && [ "$(ls "$tmp/keep" | tr '\n' ' ')" = "manifest.json marker " ] || fail "earlier output damaged"
ls -A "$tmp" | grep -q '\.tmp-\|\.lock$' && fail "temporaries left behind: $(ls -A "$tmp")"
echo "compare: self-difference zero, what-if difference from 2026 only, bad inputs exit 2"
