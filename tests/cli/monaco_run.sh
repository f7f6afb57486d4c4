#!/usr/bin/env bash
# The second bundled city runs as shipped: scenarios/monaco/baseline.toml for its base year.
# Known answers: the 2024 population is the 2016 census total given to prepare-osm (38,350);
# every home point reaches a street; the classes Monaco's extract lacks inside its boundary
# (kindergarten, middle school, elderly care, metro) are "no data", not 0; two fire stations cover
# most residents within 5 minutes (docs/monaco.md: 91.1 %).
set -euo pipefail
ut=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$ut" run "$src/scenarios/monaco/baseline.toml" --until 2024 --keep indicators --out "$tmp/r" --quiet
col() { awk -F, -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i } NR == 2 { print $c }' "$tmp/r/indicators.csv"; }
[ "$(col population)" = 38350 ] || fail "population $(col population), expected 38350"
for c in access_kindergarten_pct access_middle_school_pct access_elderly_care_pct access_metro_pct; do
  [ -z "$(col $c)" ] || fail "$c should be no data (empty), is $(col $c)"
done
awk -v v="$(col fire_5min_pct)" 'BEGIN { exit !(v > 85 && v < 97) }' || fail "fire_5min_pct $(col fire_5min_pct), docs/monaco.md says 91.1"
python3 -c "import json,sys; n=json.load(open(sys.argv[1]))['network']; sys.exit(n['home_points_unattached_walk'] != 0)" "$tmp/r/manifest.json" ||
  fail "home points without a street"
echo "monaco: runs as shipped with its census total and plausible fire cover"
