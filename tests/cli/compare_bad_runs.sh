#!/usr/bin/env bash
# `urbantwin compare` reads run directories strictly: each broken copy of one short valid run
# (a parcel-year row or a whole year gone, a cut indicators.csv, a dropped column, a bad
# manifest, parcels of another city...) exits 2 with one message naming the file, the table, the
# row and the rule; the output folder is never created and nothing temporary is left beside it.
# Args: urbantwin binary, source dir.
set -uo pipefail
ut=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v sqlite3 > /dev/null || fail "sqlite3 is needed to break the GeoPackage"
"$ut" run "$src/scenarios/chengdu-center/baseline.toml" --until 2025 --threads 2 --out "$tmp/a" --quiet || fail "the reference run failed"
[ "$(sed -n 2p "$tmp/a/indicators.csv" | cut -d, -f1),$(sed -n 3p "$tmp/a/indicators.csv" | cut -d, -f1)" = 2024,2025 ] ||
  fail "the reference run does not hold the years 2024-2025"
mkdir "$tmp/outs"

# The copy itself is a valid run: compared with the original, it succeeds.
cp -r "$tmp/a" "$tmp/copy"
"$ut" compare "$tmp/a" "$tmp/copy" --out "$tmp/ok" --quiet || fail "a copy of a valid run does not compare"
[ -f "$tmp/ok/indicator_diff.csv" ] || fail "the valid comparison wrote no indicator_diff.csv"

gpkg() { sqlite3 "$1/outputs.gpkg" "$2" || fail "sqlite3 failed on $1: $2"; }
col() { head -1 "$tmp/a/indicators.csv" | tr , '\n' | grep -nx "$1" | cut -d: -f1; }
pid=$(sqlite3 "$tmp/a/outputs.gpkg" "select parcel_id from parcel_years where year = 2025 order by fid limit 1 offset 100")
nparcels=$(sqlite3 "$tmp/a/outputs.gpkg" "select count(*) from parcels")
ncols=$(head -1 "$tmp/a/indicators.csv" | tr , '\n' | wc -l)
kg=$(col access_kindergarten_pct)

# Each case: a name, the file of the broken run the message must name, the text it must hold;
# break_NAME derives the broken run B from a copy of A.
break_parcel_year_row_missing() { gpkg "$1" "delete from parcel_years where parcel_id = $pid and year = 2025"; }
break_parcel_year_missing() { gpkg "$1" "delete from parcel_years where year = 2025"; }
break_parcel_year_duplicate() {
  gpkg "$1" "insert into parcel_years (parcel_id, year, residents) select parcel_id, year, residents from parcel_years where parcel_id = $pid and year = 2025"
}
break_parcel_year_unknown_parcel() { gpkg "$1" "update parcel_years set parcel_id = 987654321 where parcel_id = $pid and year = 2025"; }
break_parcel_year_unknown_year() { gpkg "$1" "update parcel_years set year = 2031 where parcel_id = $pid and year = 2025"; }
# parcels_by_year is a view of parcel_years' columns: SQLite drops a column only once no view uses it.
break_parcel_years_column_dropped() { gpkg "$1" "drop view parcels_by_year; alter table parcel_years drop column residents"; }
# A run from before home points: ok_<class> where served_<class> and share_<class> are now.
break_parcel_years_before_home_points() {
  gpkg "$1" "alter table parcel_years rename column served_kindergarten to ok_kindergarten"
  gpkg "$1" "drop view parcels_by_year; alter table parcel_years drop column share_kindergarten"
}
break_parcels_of_another_city() {
  gpkg "$1" "delete from parcel_years where parcel_id in (select parcel_id from parcels where fid % 2 = 0); delete from parcels where fid % 2 = 0"
}
break_outputs_not_geopackage() { echo "not a geopackage" > "$1/outputs.gpkg"; }
break_indicators_last_row_cut() { head -c -7 "$tmp/a/indicators.csv" > "$1/indicators.csv"; }
break_indicators_last_row_short() { sed '$ s/,[^,]*$//' "$tmp/a/indicators.csv" > "$1/indicators.csv"; }
break_indicators_column_dropped() { cut -d, -f"$kg" --complement "$tmp/a/indicators.csv" > "$1/indicators.csv"; }
break_indicators_year_missing() { sed 3d "$tmp/a/indicators.csv" > "$1/indicators.csv"; }
break_indicators_extra_row() { sed -n '$p' "$tmp/a/indicators.csv" >> "$1/indicators.csv"; }
break_indicators_cell_nan() { sed "2 s/^\([^,]*\),[^,]*,/\1,nan,/" "$tmp/a/indicators.csv" > "$1/indicators.csv"; }
break_indicators_empty() { : > "$1/indicators.csv"; }
break_manifest_missing() { rm "$1/manifest.json"; }
break_manifest_cut() { head -c 200 "$tmp/a/manifest.json" > "$1/manifest.json"; }
break_manifest_other_engine() { sed -i 's/"engine": "urbantwin"/"engine": "othersim"/' "$1/manifest.json"; }
break_manifest_a_comparison() { sed -i 's/"kind": "run"/"kind": "compare"/' "$1/manifest.json"; }
break_manifest_extra_year() { sed -i 's/^    2025$/    2025, 2026/' "$1/manifest.json"; }
break_manifest_seed_negative() { sed -i 's/^  "seed": [0-9]*,$/  "seed": -7,/' "$1/manifest.json"; }
break_manifest_years_not_a_list() { sed -i 's/"years": \[/"years": 2024, "x": [/' "$1/manifest.json"; }

cases=(
  "parcel_year_row_missing|outputs.gpkg|: layer parcel_years: parcel_id $pid, year 2025: every parcel of the parcels layer must have one row per year of the run (manifest.json years) (got missing)"
  "parcel_year_missing|outputs.gpkg|: layer parcel_years: year 2025: every year of the run (manifest.json years 2024-2025) must have one row per parcel (got no rows of $nparcels parcels)"
  "parcel_year_duplicate|outputs.gpkg|: layer parcel_years: parcel_id $pid, year 2025: must have exactly one row per parcel and year"
  "parcel_year_unknown_parcel|outputs.gpkg|: layer parcel_years: feature"
  "parcel_year_unknown_parcel|outputs.gpkg|parcel_id must be a parcel of the parcels layer (got 987654321)"
  "parcel_year_unknown_year|outputs.gpkg|year must be a year of the run (manifest.json years 2024-2025) (got 2031)"
  "parcel_years_column_dropped|outputs.gpkg|: layer parcel_years: field residents: must exist"
  "parcel_years_before_home_points|outputs.gpkg|: layer parcel_years: field served_kindergarten: must exist: this run was made by an UrbanTwin before home points (it has ok_<class>); run it again (got missing)"
  "parcels_of_another_city|outputs.gpkg|: layer parcels: parcel_id: both runs must have the same parcels in the same order (runs of one city) (got $nparcels parcels in A, $((nparcels / 2)) in B)"
  "outputs_not_geopackage|outputs.gpkg|"
  "indicators_last_row_cut|indicators.csv|: line 3: every row must end with a line break (the last row is cut short)"
  "indicators_last_row_short|indicators.csv|: line 3: every row must have the header's $ncols cells (got $((ncols - 1)) cells)"
  "indicators_column_dropped|indicators.csv|: line 1: column access_kindergarten_pct: the header must name this column"
  "indicators_year_missing|indicators.csv|: line 3: year 2025: must have a row: one row per year of the run (manifest.json years 2024-2025), in order (got missing)"
  "indicators_extra_row|indicators.csv|: line 4: column year: one row per year of the run (manifest.json years 2024-2025): no row after 2025"
  "indicators_cell_nan|indicators.csv|: line 2: column population: must be a finite number or empty (no data) (got \"nan\")"
  "indicators_empty|indicators.csv|: line 1: must hold a header"
  "manifest_missing|manifest.json|: a run directory must hold this file (written by urbantwin run) (got missing)"
  "manifest_cut|manifest.json|: must be the JSON manifest urbantwin run writes (got parse error"
  "manifest_other_engine|manifest.json|: key engine: must be \"urbantwin\": the directory must be a run of urbantwin (got \"othersim\")"
  "manifest_a_comparison|manifest.json|: key kind: must be \"run\""
  "manifest_extra_year|indicators.csv|year 2026: must have a row"
  "manifest_years_not_a_list|manifest.json|: key years: must list the simulated years (got 2024)"
  "manifest_seed_negative|manifest.json|: key seed: must be the run's seed (a whole number from 0 to 2^64-1) (got -7)"
)

failed=0 n=0
check() {  # name file text order(ab|ba)
  local name=$1 file=$2 text=$3 order=$4 b="$tmp/b-$1" problem=""
  n=$((n + 1))
  local out="$tmp/outs/cmp-$name-$order"
  if [ "$order" = ab ]; then "$ut" compare "$tmp/a" "$b" --out "$out" > "$tmp/stdout" 2> "$tmp/err"; else
    "$ut" compare "$b" "$tmp/a" --out "$out" > "$tmp/stdout" 2> "$tmp/err"; fi
  local rc=$?
  [ $rc -eq 2 ] || problem="exit code $rc, expected 2"
  [ -z "$problem" ] && [ "$(wc -l < "$tmp/err")" != 1 ] && problem="not one line on stderr"
  [ -z "$problem" ] && ! grep -qF -- "urbantwin: error: $b/$file" "$tmp/err" && problem="message does not start with the file $b/$file"
  [ -z "$problem" ] && ! grep -qF -- "$text" "$tmp/err" && problem="message lacks '$text'"
  [ -z "$problem" ] && [ -e "$out" ] && problem="output folder created"
  [ -z "$problem" ] && [ -n "$(ls -A "$tmp/outs")" ] && problem="left beside the output: $(ls -A "$tmp/outs" | tr '\n' ' ')"
  if [ -n "$problem" ]; then
    echo "FAIL $name ($order): $problem"; echo "  stderr: $(cat "$tmp/err")"; failed=$((failed + 1))
  else
    echo "ok   $name ($order): $(cat "$tmp/err")"
  fi
  rm -rf "${tmp:?}/outs/"* "${tmp:?}/outs/".[!.]* 2> /dev/null
}
for c in "${cases[@]}"; do
  IFS='|' read -r name file text <<< "$c"
  if [ ! -d "$tmp/b-$name" ]; then
    cp -r "$tmp/a" "$tmp/b-$name"
    "break_$name" "$tmp/b-$name"
  fi
  check "$name" "$file" "$text" ab
done
# The broken run as A is named just the same.
for name in parcel_year_row_missing indicators_last_row_cut manifest_other_engine; do
  for c in "${cases[@]}"; do
    IFS='|' read -r cname file text <<< "$c"
    [ "$cname" = "$name" ] && check "$name" "$file" "$text" ba
  done
done
echo "$((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
