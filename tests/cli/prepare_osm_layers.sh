#!/usr/bin/env bash
# `urbantwin prepare-osm` writes the layers buildings and barriers (docs/data-derivation.md) with
# the exact features, ids, kinds and levels a hand-made extract calls for (DIR/layers.osm, its
# first comment says why each way is in or out), in the CRS of the other layers, and the same
# again on a second run.
set -euo pipefail
ut=$(realpath "$1") dir=$(realpath "$2")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "ok   $1"; else
    echo "FAIL $1"; echo "  expected: $(printf '%s' "$2" | tr '\n' '|')"; echo "  actual:   $(printf '%s' "$3" | tr '\n' '|')"
    failed=$((failed + 1))
  fi
}
dump() {  # dump GPKG SQL: the result as CSV, without carriage returns
  ogr2ogr -f CSV /vsistdout/ "$1" -sql "$2" | tr -d '\r'
}

profile=$(realpath "$(dirname "$0")/../../gis-data/generic/profile.toml")
"$ut" prepare-osm "$dir/layers.osm" --profile "$profile" --residents 1000 --out "$tmp/a.gpkg" >"$tmp/stdout"
"$ut" prepare-osm "$dir/layers.osm" --profile "$profile" --residents 1000 --out "$tmp/b.gpkg" >/dev/null

check "buildings: way 100 (6 levels), way 102 (levels 'six': null), relation 200 as 10^15 + 200" \
'building_id,building,levels,osm_ref
"100",apartments,6,way/100
"102",yes,,way/102
"1000000000000200",yes,,relation/200' \
  "$(dump "$tmp/a.gpkg" "select building_id, building, levels, osm_ref from buildings order by fid")"

check "barriers: riverbank, rail, trunk, river; not the culvert, rail bridge, subway or motorway tunnel" \
'barrier_id,kind,osm_ref,type
"1",water,way/110,MULTIPOLYGON
"2",railway,way/120,MULTILINESTRING
"3",motorway,way/131,MULTILINESTRING
"4",river,way/140,MULTILINESTRING' \
  "$(dump "$tmp/a.gpkg" "select barrier_id, kind, osm_ref, ST_GeometryType(geom) as type from barriers order by fid")"

check "geometry types and one CRS for all layers" \
'table_name,geometry_type_name,srs
barriers,GEOMETRY,"32648"
buildings,MULTIPOLYGON,"32648"
parcels,MULTIPOLYGON,"32648"
roads,MULTILINESTRING,"32648"' \
  "$(dump "$tmp/a.gpkg" "select table_name, geometry_type_name, srs_id as srs from gpkg_geometry_columns
      where table_name in ('barriers', 'buildings', 'parcels', 'roads') order by table_name")"

check "the other layers are still there (parcels, roads)" "yes" \
  "$(sqlite3 "$tmp/a.gpkg" "select case when (select count(*) from parcels) > 0 and (select count(*) from roads) = 4
      then 'yes' else 'no' end")"

check "the about table lists no counts of buildings or barriers" "0" \
  "$(sqlite3 "$tmp/a.gpkg" "select count(*) from about where key like '%building%' or key like '%barrier%'")"

for layer in buildings barriers; do
  check "$layer: the same on a second run" \
    "$(sqlite3 "$tmp/a.gpkg" "select * from $layer order by fid" | sha256sum)" \
    "$(sqlite3 "$tmp/b.gpkg" "select * from $layer order by fid" | sha256sum)"
done
[ $failed -eq 0 ] && echo "all passed" || echo "$failed failed"
[ $failed -eq 0 ]
