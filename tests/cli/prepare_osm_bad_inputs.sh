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
  local name=$1 want=$2 expect=$3 file=$4 problem="" rc
  shift 4
  n=$((n + 1))
  rm -f "$tmp/out"/* "$tmp/out"/.[!.]* 2>/dev/null
  (cd "$tmp/cwd" && TMPDIR="$tmp/tmpdir" timeout 60 "$ut" prepare-osm "$file" --out "$tmp/out/x.gpkg" --profile "$profile" "${@:---residents-per-km2=10000}" \
    >"$tmp/stdout" 2>"$tmp/stderr")
  rc=$?
  if [ "$want" = 2 ]; then
    [ $rc -eq 2 ] || problem="exit code $rc, expected 2"
    [ -z "$problem" ] && [ "$(wc -l <"$tmp/stderr")" -ne 1 ] && problem="stderr is not one line"
    [ -z "$problem" ] && ! grep -qF -- "$expect" "$tmp/stderr" && problem="message lacks '$expect'"
    [ -z "$problem" ] && ! grep -qF -- "$(basename "$file")" "$tmp/stderr" && problem="message names no file"
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
echo "$((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
