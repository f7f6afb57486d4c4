#!/usr/bin/env bash
# `urbantwin prepare-osm` on broken OSM files (DIR/*.osm, each named for what is wrong): exit 2,
# one message naming the file and containing the text of the first line's "<!-- expect: TEXT -->"
# (files that cannot hold a comment, e.g. an empty one, expect the "must be an OpenStreetMap file"
# rule), nothing at --out, no temporary left in the output folder, the temporary folder or the
# working folder. DIR/ok/*.osm are odd but acceptable files: exit 0 and TEXT in the printed report
# (blanks squeezed), with sane values in the GeoPackage. Then bad option values on a good file.
set -uo pipefail
ut=$(realpath "$1") dir=$(realpath "$2")
profile=$(realpath "$(dirname "$0")/../../gis-data/generic/profile.toml")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out" "$tmp/tmpdir" "$tmp/cwd"
failed=0 n=0

# prepare NAME EXPECTED_RC EXPECT FILE [OPTIONS...]: runs one case and checks the contract.
prepare() {
  local name=$1 want=$2 expect=$3 file=$4 problem="" rc prof=(--profile "${use_profile:-$profile}")
  [ -n "${noprofile:-}" ] && prof=()
  shift 4
  n=$((n + 1))
  rm -f "$tmp/out"/* "$tmp/out"/.[!.]* 2>/dev/null
  (cd "$tmp/cwd" && TMPDIR="$tmp/tmpdir" timeout 60 "$ut" prepare-osm "$file" --out "$tmp/out/x.gpkg" "${prof[@]}" "${@:---residents-per-km2=10000}" \
    >"$tmp/stdout" 2>"$tmp/stderr")
  rc=$?
  if [ "$want" = 2 ]; then
    [ $rc -eq 2 ] || problem="exit code $rc, expected 2"
    [ -z "$problem" ] && [ "$(wc -l <"$tmp/stderr")" -ne 1 ] && problem="stderr is not one line"
    [ -z "$problem" ] && ! grep -qF -- "$expect" "$tmp/stderr" && problem="message lacks '$expect'"
    [ -z "$problem" ] && ! grep -qF -- "$(basename "${named:-$file}")" "$tmp/stderr" && problem="message names no file"
    [ -z "$problem" ] && [ -n "$(ls -A "$tmp/out")" ] && problem="output folder not empty: $(ls -A "$tmp/out")"
  else
    [ $rc -eq 0 ] || problem="exit code $rc, expected 0"
    [ -z "$problem" ] && ! tr -s ' ' <"$tmp/stdout" | grep -qF -- "$expect" && problem="report lacks '$expect'"
    [ -z "$problem" ] && [ "$(ls -A "$tmp/out")" != "x.gpkg" ] && problem="output folder holds $(ls -A "$tmp/out")"
    if [ -z "$problem" ]; then
      local sum reported insane
      sum=$(sqlite3 "$tmp/out/x.gpkg" "select coalesce(sum(residents), 0) from parcels")
      reported=$(tr -s ' ' <"$tmp/stdout" | sed -n 's/^ residents \([0-9]*\)$/\1/p')
      insane=$(sqlite3 "$tmp/out/x.gpkg" "select (select count(*) from parcels where residents < 0 or not area_m2 > 0)
        + (select count(*) from roads where not (speed_kmh > 0 and speed_kmh <= 300 and lanes between 1 and 20))")
      [ "$sum" = "$reported" ] || problem="parcels hold $sum residents, report says '$reported'"
      [ -z "$problem" ] && [ "$insane" != 0 ] && problem="$insane parcels or roads with values out of range"
    fi
  fi
  [ -z "$problem" ] && [ -n "$(ls -A "$tmp/tmpdir" "$tmp/cwd" 2>/dev/null | grep -v ':$' | grep .)" ] &&
    problem="temporary files left: $(ls -A "$tmp/tmpdir" "$tmp/cwd")"
  if [ -n "$problem" ]; then
    echo "FAIL $name: $problem"; echo "  stderr: $(cat "$tmp/stderr")"; failed=$((failed + 1))
  else
    echo "ok   $name: $(cat "$tmp/stderr")$([ "$want" = 0 ] && echo "exit 0")"
  fi
}

for f in "$dir"/*.osm; do
  expect=$(sed -n '1s/^<!-- expect: \(.*\) -->$/\1/p' "$f")
  [ -n "$expect" ] || expect="must be an OpenStreetMap file (.osm XML or .osm.pbf) GDAL can read"
  prepare "$(basename "$f")" 2 "$expect" "$f"
done
for f in "$dir"/ok/*.osm; do
  prepare "ok/$(basename "$f")" 0 "$(sed -n '1s/^<!-- expect: \(.*\) -->$/\1/p' "$f")" "$f"
done
good="$dir/ok/valid_minimal.osm"
prepare "missing file" 2 "must be an existing, readable file" "$tmp/absent.osm"
for v in nan 1e12 200001; do
  prepare "--residents-per-km2 $v" 2 "option --residents-per-km2: must be a number greater than 0 and at most 200000" \
    "$good" --residents-per-km2 "$v"
done
# The study area, the residents evidence, the profile (docs/data-derivation.md): exit 2 naming the
# file at fault and the rule.
a="$dir/area" named=""
named=not_a_polygon.poly prepare "--area: a ring of two points" 2 "must be a polygon: a ring of at least 3 distinct points" \
  "$good" --area "$a/not_a_polygon.poly" --residents 10
named=truncated.poly prepare "--area: truncated .poly" 2 "every ring ends with END (truncated?)" "$good" --area "$a/truncated.poly" --residents 10
named=coordinate_not_a_number.poly prepare "--area: a coordinate that is a word" 2 "a ring line holds two numbers, longitude and latitude" \
  "$good" --area "$a/coordinate_not_a_number.poly" --residents 10
named="" prepare "--area with no roads in it or within 1 km" 2 "must contain roads" "$good" --area "$a/no_roads.poly" --residents 10
prepare "--bbox of three numbers" 2 "option --bbox: must be four numbers W,S,E,N" "$good" --bbox 1,2,3 --residents 10
prepare "--area and --bbox together" 2 "give at most one study area" "$good" --area "$a/no_roads.poly" --bbox 104.04,30.65,104.05,30.66 --residents 10
named=no_crs.asc prepare "--population-raster without a CRS" 2 "option --population-raster: must have a known CRS" \
  "$good" --population-raster "$dir/raster/no_crs.asc"
named=profile.toml prepare "no residents evidence (no city's density is a default)" 2 "residents need evidence" "$good" --area "$a/ok_inside.poly"
prepare "two residents sources" 2 "give at most one source of residents" "$good" --residents 5 --residents-per-km2 3
prepare "--residents not whole" 2 "option --residents: must be a whole number of residents" "$good" --residents 1.5
prepare "--area inside the box, --residents 10" 0 "residents 10" "$good" --area "$a/ok_inside.poly" --residents 10
prepare "--population-raster in WGS 84: cells of 10 and 25 residents" 0 "residents 35" "$good" --population-raster "$dir/raster/ok_wgs84.asc"
# An OGR polygon in UTM 48N, 580 m x 660 m: 0.3828 km2 exactly.
prepare "--area as GeoJSON in UTM 48N" 0 "study_area_km2 0.3828" "$good" --area "$a/ok_inside_utm.geojson" --residents 10
named=points.geojson prepare "--area of points" 2 "feature 0: must be a polygon or multipolygon (got Point)" \
  "$good" --area "$a/points.geojson" --residents 10
prepare "no area given, no FILE.poly: the box, with a note" 0 "note: the study area is the extract's box" "$good" --residents 10
mkdir -p "$tmp/beside"; cp "$good" "$tmp/beside/x.osm"; cp "$a/ok_inside.poly" "$tmp/beside/x.poly"
prepare "x.poly beside x.osm: the extract's boundary polygon" 0 "study_area the extract's boundary polygon x.poly" \
  "$tmp/beside/x.osm" --residents 10
for case in "missing_prepare_osm|key prepare_osm: required table is missing" \
            "missing_land_use|key prepare_osm.land_use: required table is missing" \
            "rate_above_one|key prepare_osm.land_use.mixed.residential_share: a rate must be from 0 to 1 (got 1.5)" \
            "unknown_key|key prepare_osm.greenways.park_shar: unknown key; did you mean 'park_share'?" \
            "unknown_class|did you mean 'primary_school'? (got \"primary_shcool\")" \
            "source_missing|key prepare_osm.land_use.park.source: required key is missing" \
            "not_toml|must be valid TOML"; do
  use_profile="$dir/profile/${case%%|*}.toml" named="${case%%|*}.toml" prepare "profile ${case%%|*}" 2 "${case#*|}" "$good" --residents 10
done
noprofile=1 named="" prepare "no --profile" 2 "option --profile: prepare-osm needs a city profile" "$good" --residents 10
echo "$((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
