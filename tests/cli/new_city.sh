#!/usr/bin/env bash
# A new city needs no code change: from our own tiny OSM extract (tests/data/osm_classes) and a
# profile written here — the generic profile's simulation tables, our own [prepare_osm] tables
# with a name rule of this "city" — `prepare-osm` derives the layers and `run` simulates
# 2024-2026. Known answers: the residents given (1,000) are the 2024 population; the name rule
# makes "Collège G" a middle school (without it, a school with no level tag is a primary school);
# every year has a row; the run's manifest records our profile as an input.
set -euo pipefail
ut=$(realpath "$1") src=$(realpath "$2") dir=$(realpath "$3")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# The generic profile's tables name the standards file beside the profile's folder: ../norms/.
mkdir -p "$tmp/city" "$tmp/scenarios" "$tmp/norms"
cp "$src/gis-data/norms/gb50180-2018.toml" "$tmp/norms/"
{
  echo 'name = "testville"'
  echo 'description = "a test city: generic simulation tables, our own prepare-osm rules"'
  echo
  awk '/^# -----/ { exit } /^\[demography\]/ { f = 1 } f' "$src/gis-data/generic/profile.toml"
  echo '[prepare_osm]'
  echo 'city = "testville"'
  awk '/^\[prepare_osm.land_use.residential\]/ { f = 1 } /^\[prepare_osm.greenways\]/ { f = 0 } f' "$src/gis-data/generic/profile.toml"
  cat <<'TOML'
[[prepare_osm.names]]
amenity = "school"
contains = ["Collège"]
classes = ["middle_school"]
source = "testville's rule (this test): a collège is a lower secondary school"

[prepare_osm.greenways]
river_buffer_m = 50
rivers = ["*"]
names = []
park_share = 0.5
designated_routes = false
source = "testville's choice (this test)"

[prepare_osm.facilities]
classes = ["kindergarten", "primary_school", "middle_school", "health", "elderly_care", "fire_station", "metro", "park", "green_space"]
source = "testville's classes (this test)"
TOML
} > "$tmp/city/profile.toml"
"$ut" prepare-osm "$dir/classes.osm" --bbox 7.40,43.70,7.42,43.72 --profile "$tmp/city/profile.toml" --residents 1000 \
  --out "$tmp/city/testville.gpkg" > "$tmp/prep.out" || fail "prepare-osm: $(cat "$tmp/prep.out")"
cls=$(ogr2ogr -f CSV /vsistdout/ "$tmp/city/testville.gpkg" -sql "select classes from facilities where name = 'Collège G'" | tail -1 | tr -d '\r')
[ "$cls" = middle_school ] || fail "the profile's name rule did not make Collège G a middle school: $cls"
cat > "$tmp/scenarios/baseline.toml" <<'TOML'
name = "testville-baseline"
profile = "../city/profile.toml"
seed = 7
base_year = 2024
end_year = 2026
crs = "EPSG:32632"
[layers.parcels]
source = "../city/testville.gpkg"
layer = "parcels"
[layers.roads]
source = "../city/testville.gpkg"
layer = "roads"
[layers.greenways]
source = "../city/testville.gpkg"
layer = "greenways"
[layers.facilities]
source = "../city/testville.gpkg"
layer = "facilities"
[layers.barriers]
source = "../city/testville.gpkg"
layer = "barriers"
TOML
"$ut" run "$tmp/scenarios/baseline.toml" --out "$tmp/run" --quiet || fail "run failed"
pop=$(awk -F, 'NR == 2 { print $2 }' "$tmp/run/indicators.csv")
[ "$pop" = 1000 ] || fail "2024 population $pop, expected the 1,000 residents given to prepare-osm"
[ "$(wc -l < "$tmp/run/indicators.csv")" -eq 4 ] || fail "indicators.csv should have a header and 3 years"
grep -q "\"role\": \"profile\"" "$tmp/run/manifest.json" || fail "the manifest does not list the profile as an input"
grep -q "\"path\": \"$tmp/scenarios/../city/profile.toml\"" "$tmp/run/manifest.json" || grep -q "\"path\": \"$tmp/city/profile.toml\"" "$tmp/run/manifest.json" || fail "the manifest names another profile: $(grep -A1 profile "$tmp/run/manifest.json")"
echo "new city: derived and simulated from a profile written by the test, no code change"
