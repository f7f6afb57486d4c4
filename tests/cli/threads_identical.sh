#!/usr/bin/env bash
# `urbantwin run` 2024-2035 with 1, 2 and 8 threads, and a repeated 2-thread run: byte-identical
# indicators.csv, manifest.json, outputs.gpkg and ATTRIBUTION.txt (timings.json apart), and identical parcels, parcel_years, links and link_years tables (attributes
# and geometry) in outputs.gpkg.
set -euo pipefail
ut=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
runs="1 2 8 2again"
for r in $runs; do
  "$ut" run "$src/scenarios/chengdu-center/whatif-community-services.toml" --out "$tmp/t$r" --threads "${r%again}" --quiet
  for t in parcels parcel_years links link_years; do
    sqlite3 "$tmp/t$r/outputs.gpkg" "select * from $t order by fid" | sha256sum > "$tmp/$t$r"
  done
done
for r in 2 8 2again; do
  for f in indicators.csv manifest.json outputs.gpkg ATTRIBUTION.txt; do
    cmp "$tmp/t1/$f" "$tmp/t$r/$f" || { echo "$f differs between 1 and $r threads (byte for byte)"; exit 1; }
  done
  for t in parcels parcel_years links link_years; do
    cmp "$tmp/${t}1" "$tmp/$t$r" || { echo "$t differs between 1 and $r threads"; exit 1; }
  done
done
echo "1, 2, 8 threads and a repeated run: byte-identical indicators.csv, manifest.json, outputs.gpkg; identical parcels, parcel_years, links, link_years ($(wc -l < "$tmp/t1/indicators.csv") lines of indicators)"
