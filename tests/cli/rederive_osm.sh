#!/usr/bin/env bash
# Re-deriving the bundled GeoPackage from the shared OSM extract gives the same layers, the same
# feature counts and the same attribute values.
set -euo pipefail
ut=$1 src=$2 shared=$3
osm="$shared/chengdu-osm/chengdu_center_2018.osm"
metro="$shared/chengdu-osm/chengdu_metro_osm.geojson"
if [ ! -f "$osm" ]; then echo "SKIP: $osm is absent (set UT_SHARED_DATA)"; exit 77; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ut" prepare-osm "$osm" --metro "$metro" --profile "$src/gis-data/chengdu-center/profile.toml" --out "$tmp/re.gpkg" >/dev/null
committed="$src/gis-data/chengdu-center/chengdu-center.gpkg"
for layer in parcels roads greenways facilities about buildings barriers water; do
  a=$(sqlite3 "$committed" "select count(*) from $layer")
  b=$(sqlite3 "$tmp/re.gpkg" "select count(*) from $layer")
  [ "$a" = "$b" ] || { echo "layer $layer: $b features re-derived, $a committed"; exit 1; }
  ha=$(sqlite3 "$committed" "select * from $layer order by fid" | sha256sum)
  hb=$(sqlite3 "$tmp/re.gpkg" "select * from $layer order by fid" | sha256sum)
  [ "$ha" = "$hb" ] || { echo "layer $layer: re-derived values differ from the committed GeoPackage"; exit 1; }
  echo "$layer: $a features, identical"
done
