#!/usr/bin/env bash
# Every output carries the credit of the data it was made from (docs/conventions.md, "Credits"):
# - the synthetic city of bench/citygen declares its own credit: a comparison of two of its runs,
#   a study of it (tables, compare --study), site-select and report credit it, never OpenStreetMap;
# - a city with its greenways from a GeoPackage declaring OpenStreetMap's credit beside the
#   synthetic layers credits both, each once; compared with a synthetic-only run, both again;
# - a run written before runs recorded their credit (no "attribution") counts as OpenStreetMap's.
set -euo pipefail
ut=$1 gen=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
osm="© OpenStreetMap contributors. Data available under the Open Database License (ODbL), openstreetmap.org/copyright."
"$gen" tiny "$tmp/city" --seed 7 >/dev/null
sc=$tmp/city/scenario.toml
about() { sqlite3 "$1" "SELECT value FROM about WHERE key = 'attribution'"; }
syn=$(about "$tmp/city/city.gpkg")
[ -n "$syn" ] || fail "citygen's city.gpkg declares no credit"
run() { "$ut" run "$1" --until 2025 --set traffic.enabled=false "${@:2}" --quiet; }
run "$sc" --out "$tmp/r1"
run "$sc" --seed 8 --out "$tmp/r2"
only_syn() {  # files of output $1 credit the synthetic city and not OpenStreetMap
  for f in "$1"/*.json "$1"/ATTRIBUTION.txt; do
    grep -qF "$syn" "$f" || fail "$f does not carry the synthetic credit"
    ! grep -q OpenStreetMap "$f" || fail "$f credits OpenStreetMap: $(grep OpenStreetMap "$f" | head -1)"
  done
}

# compare: the two runs' credit, once.
"$ut" compare "$tmp/r1" "$tmp/r2" --out "$tmp/cmp" > "$tmp/cmp.txt"
only_syn "$tmp/cmp"
[ "$(about "$tmp/cmp/parcel_diff.gpkg")" = "$syn" ] || fail "parcel_diff.gpkg about: $(about "$tmp/cmp/parcel_diff.gpkg")"
[ "$(tail -1 "$tmp/cmp.txt")" = "$syn" ] || fail "compare prints: $(tail -1 "$tmp/cmp.txt")"
"$ut" compare "$tmp/r1" "$tmp/r2" --out "$tmp/cmp" --overwrite --json > "$tmp/cmp.json"
python3 -c "import json,sys; a = json.load(open(sys.argv[1]))['attribution']; assert a == sys.argv[2], a" "$tmp/cmp.json" "$syn" ||
  fail "compare --json attribution"
sqlite3 "$tmp/cmp/parcel_diff.gpkg" "SELECT metadata FROM gpkg_metadata" | grep -qF "<rights>${syn%%:*}" || fail "parcel_diff.gpkg's layer metadata lacks the credit"
! sqlite3 "$tmp/cmp/parcel_diff.gpkg" "SELECT metadata FROM gpkg_metadata" | grep -q OpenStreetMap ||
  fail "parcel_diff.gpkg's layer metadata credits OpenStreetMap"

# A study of the synthetic city: its tables, compare --study.
cat > "$tmp/study.toml" <<TOML
name = "credit"
scenarios = ["$sc"]
seeds = 2
keep = "+parcels"
until = 2025
[set]
traffic.enabled = false
TOML
"$ut" batch "$tmp/study.toml" --out "$tmp/study" > "$tmp/batch.txt"
[ "$(tail -1 "$tmp/batch.txt")" = "$syn" ] || fail "batch prints: $(tail -1 "$tmp/batch.txt")"
grep -qF "\"attribution\": \"$syn\"" "$tmp/study/study.json" || fail "study.json attribution"
[ "$(cat "$tmp/study/ATTRIBUTION.txt")" = "$syn" ] || fail "study ATTRIBUTION.txt: $(cat "$tmp/study/ATTRIBUTION.txt")"
[ "$(about "$tmp/study/parcels_summary.gpkg")" = "$syn" ] || fail "parcels_summary.gpkg about"
v=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['variants'][0]['label'])" "$tmp/study/study.json")
"$ut" compare --study "$tmp/study" "$v" "$v" --out "$tmp/scmp" > "$tmp/scmp.txt"
for f in "$tmp/scmp/manifest.json" "$tmp/scmp/ATTRIBUTION.txt"; do
  grep -qF "$syn" "$f" || fail "$f does not carry the synthetic credit"; ! grep -q OpenStreetMap "$f" || fail "$f credits OpenStreetMap"
done
[ "$(tail -1 "$tmp/scmp.txt")" = "$syn" ] || fail "compare --study prints: $(tail -1 "$tmp/scmp.txt")"

# site-select: the city's credit, also in the what-if's header.
"$ut" site-select "$sc" --class kindergarten --count 1 --out "$tmp/sel" > "$tmp/sel.txt"
only_syn "$tmp/sel"
[ "$(about "$tmp/sel/sites.gpkg")" = "$syn" ] || fail "sites.gpkg about"
grep -qxF "# $syn" "$tmp/sel/whatif.toml" || fail "whatif.toml header: $(head -4 "$tmp/sel/whatif.toml")"
! grep -q OpenStreetMap "$tmp/sel/whatif.toml" || fail "whatif.toml credits OpenStreetMap"
[ "$(tail -1 "$tmp/sel.txt")" = "$syn" ] || fail "site-select prints: $(tail -1 "$tmp/sel.txt")"

# report (needs Debian's libjs-chart.js): the inputs' credit, once.
if [ -r /usr/share/javascript/chart.js/chart.min.js ]; then
  "$ut" report "$tmp/r1" "$tmp/r2" --out "$tmp/report.html" > "$tmp/report.txt"
  [ "$(tail -1 "$tmp/report.txt")" = "$syn" ] || fail "report prints: $(tail -1 "$tmp/report.txt")"
fi

# Greenways from a GeoPackage declaring OpenStreetMap's credit: the run credits both, each once.
ogr2ogr -f GPKG "$tmp/city/greenways.gpkg" "$tmp/city/city.gpkg" greenways
printf 'key,value\nattribution,"%s"\n' "$osm" > "$tmp/about.csv"
ogr2ogr -update "$tmp/city/greenways.gpkg" "$tmp/about.csv" -nln about
sed '/^\[layers.greenways\]/,/^$/ s/city.gpkg/greenways.gpkg/' "$sc" > "$tmp/city/mixed.toml"
grep -q 'source = "greenways.gpkg"' "$tmp/city/mixed.toml" || fail "mixed.toml"
run "$tmp/city/mixed.toml" --out "$tmp/m"
both="$osm $syn"
grep -qF "\"attribution\": \"$both\"" "$tmp/m/manifest.json" || fail "the mixed run's manifest: $(grep attribution "$tmp/m/manifest.json")"
"$ut" compare "$tmp/r1" "$tmp/m" --out "$tmp/mcmp" > "$tmp/mcmp.txt"
[ "$(tail -1 "$tmp/mcmp.txt")" = "$both" ] || fail "compare synthetic vs mixed prints: $(tail -1 "$tmp/mcmp.txt")"
[ "$(about "$tmp/mcmp/parcel_diff.gpkg")" = "$both" ] || fail "mixed parcel_diff.gpkg about: $(about "$tmp/mcmp/parcel_diff.gpkg")"
[ "$(tail -1 "$tmp/mcmp/ATTRIBUTION.txt")" = "$both" ] || fail "mixed ATTRIBUTION.txt: $(cat "$tmp/mcmp/ATTRIBUTION.txt")"

# A run without "attribution" (written before runs recorded it): OpenStreetMap's, beside the other's.
cp -r "$tmp/r2" "$tmp/old"
python3 - "$tmp/old/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]), object_pairs_hook=dict)
del m["attribution"]
json.dump(m, open(sys.argv[1], "w"), indent=2)
PY
"$ut" compare "$tmp/old" "$tmp/r1" --out "$tmp/ocmp" > "$tmp/ocmp.txt"
[ "$(tail -1 "$tmp/ocmp.txt")" = "$both" ] || fail "compare older run vs synthetic prints: $(tail -1 "$tmp/ocmp.txt")"
echo "credit: compare, batch, compare --study, site-select and report follow their inputs' credits"
