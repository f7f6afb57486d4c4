#!/usr/bin/env bash
# `urbantwin run` with 1, 2 and 8 threads: byte-identical indicators.csv and parcel table
# and links tables (attributes and geometry) in outputs.gpkg.
set -euo pipefail
ut=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for t in 1 2 8; do
  "$ut" run "$src/scenarios/chengdu-center/whatif-community-services.toml" --out "$tmp/t$t" --threads "$t" --quiet
  sqlite3 "$tmp/t$t/outputs.gpkg" "select * from parcels order by fid" | sha256sum > "$tmp/parcels$t"
  sqlite3 "$tmp/t$t/outputs.gpkg" "select * from links order by fid" | sha256sum > "$tmp/links$t"
done
for t in 2 8; do
  cmp "$tmp/t1/indicators.csv" "$tmp/t$t/indicators.csv" || { echo "indicators.csv differs between 1 and $t threads"; exit 1; }
  cmp "$tmp/parcels1" "$tmp/parcels$t" || { echo "parcel values differ between 1 and $t threads"; exit 1; }
  cmp "$tmp/links1" "$tmp/links$t" || { echo "link flows differ between 1 and $t threads"; exit 1; }
done
echo "1, 2 and 8 threads: identical indicators.csv, parcels and links"
