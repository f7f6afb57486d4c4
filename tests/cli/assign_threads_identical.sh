#!/usr/bin/env bash
# `urbantwin assign --flows-out` on Chicago Sketch: 1 and 2 threads write byte-identical files.
set -euo pipefail
ut=$1 dir=$2/ChicagoSketch
[ -f "$dir/ChicagoSketch_net.tntp" ] || { echo "TNTP networks not found under $2: skipped"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for t in 1 2; do
  "$ut" assign --net "$dir/ChicagoSketch_net.tntp" --trips "$dir/ChicagoSketch_trips.tntp" --toll-factor 0.02 \
    --distance-factor 0.04 --gap 1e-8 --threads $t --flows-out "$tmp/flows$t.txt" --quiet
done
[ "$(wc -l < "$tmp/flows1.txt")" -eq 2951 ] || { echo "expected 2,950 link rows plus a header"; exit 1; }
cmp "$tmp/flows1.txt" "$tmp/flows2.txt" && echo "1 and 2 threads: identical flows ($(sha256sum < "$tmp/flows1.txt" | cut -c1-16))"
