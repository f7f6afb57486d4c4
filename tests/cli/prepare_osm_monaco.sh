#!/usr/bin/env bash
# `urbantwin prepare-osm --area monaco.poly --residents 38350` on the shared Monaco extract (the
# command of gis-data/monaco/SOURCE.md): land area within 15 % of Monaco's 2.0 km2, no parcel
# overlapping the sea or a water area, the census total in the parcels, and the same layers as the
# bundled gis-data/monaco/monaco.gpkg.
set -euo pipefail
ut=$1 src=$2 shared=$3
pbf="$shared/monaco-osm/monaco.osm.pbf" poly="$shared/monaco-osm/monaco.poly"
if [ ! -f "$pbf" ]; then echo "SKIP: $pbf is absent (set UT_SHARED_DATA)"; exit 77; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
g=$tmp/re.gpkg
"$ut" prepare-osm "$pbf" --area "$poly" --profile "$src/gis-data/monaco/profile.toml" --residents 38350 --out "$g" >/dev/null
fail() { echo "FAIL: $*"; exit 1; }
land=$(sqlite3 "$g" "select value from about where key = 'figure.land_area_km2'")
awk -v v="$land" 'BEGIN { exit !(v >= 1.7 && v <= 2.3) }' || fail "land area $land km2, expected 2.0 +- 15 %"
echo "ok   land area $land km2"
sea=$(sqlite3 "$g" "select value from about where key = 'sea_in_study_area_km2'")
awk -v v="$sea" 'BEGIN { exit !(v > 2) }' || fail "sea $sea km2: the .poly's sea half is not sea"
echo "ok   sea $sea km2 of the study area"
n=$(ogrinfo -ro -q "$g" -dialect SQLite -sql "select count(*) as n from parcels p, water w
      where ST_Intersects(p.geom, w.geom) and ST_Area(ST_Intersection(p.geom, w.geom)) > 0.01" | sed -n 's/^ *n (Integer) = //p')
[ "$n" = 0 ] || fail "$n parcel(s) overlap the sea or a water area"
echo "ok   no parcel overlaps the sea or a water area"
[ "$(sqlite3 "$g" "select sum(residents) from parcels")" = 38350 ] || fail "residents do not sum to 38350"
echo "ok   38350 residents"
committed="$src/gis-data/monaco/monaco.gpkg"
for layer in parcels roads greenways facilities about buildings barriers water; do
  ha=$(sqlite3 "$committed" "select * from $layer order by fid" | sha256sum)
  hb=$(sqlite3 "$g" "select * from $layer order by fid" | sha256sum)
  [ "$ha" = "$hb" ] || fail "layer $layer: re-derived values differ from gis-data/monaco/monaco.gpkg"
  echo "ok   $layer: $(sqlite3 "$g" "select count(*) from $layer") features, identical"
done
