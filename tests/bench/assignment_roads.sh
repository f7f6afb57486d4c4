#!/usr/bin/env bash
# [traffic] assignment_roads (issue 15): the car assignment on the arterial network only.
# On bench/citygen's tiny city (16 x 16 blocks 100 m apart) the only primary roads are the two
# centre lines, one north-south and one west-east, both bridged over the river, so they form one
# connected cross. Known answers, base year:
# - with assignment_roads = ["primary"], every link of the run's links layer is on a primary road,
#   and there are exactly 2 links (one per direction) per segment of the primary lines;
# - cars still travel: the volumes sum to more than zero (zone connectors reach the cross from
#   every zone over the residential streets), although no residential street carries a link;
# - 1 and 2 threads give identical indicators;
# - without the key, residential streets are links too (the default network is every drivable road);
# - a class that is not drivable (footway) or not a road class at all: exit 2, naming the key
#   and the value.
set -euo pipefail
ut=$1 gen=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$gen" tiny "$tmp/c" --seed 7 >/dev/null
# Zones of 400 m (16 in the 1.6 km city; citygen's 2,000 m make it four), so that trips between
# zones load at different junctions of the cross.
sed -i 's/^zone_size_m = .*/zone_size_m = 400/' "$tmp/c/scenario.toml"
grep -q '^zone_size_m = 400$' "$tmp/c/scenario.toml" || fail "no zone_size_m line in the tiny scenario"
with_key() {  # scenario with [traffic] assignment_roads = $1 (citygen's scenario has one: replaced)
  sed "s/^assignment_roads = .*\$/assignment_roads = $1/" "$tmp/c/scenario.toml" >"$tmp/c/$2.toml"
  grep -qF "assignment_roads = $1" "$tmp/c/$2.toml" || fail "no assignment_roads line in the tiny scenario"
}
sed '/^assignment_roads = /d' "$tmp/c/scenario.toml" >"$tmp/c/every.toml"
with_key '["primary"]' arterial
"$ut" run "$tmp/c/arterial.toml" --out "$tmp/ra" --until 2024 --quiet --threads 2
"$ut" run "$tmp/c/arterial.toml" --out "$tmp/ra1" --until 2024 --quiet --threads 1 --keep indicators
cmp -s "$tmp/ra/indicators.csv" "$tmp/ra1/indicators.csv" || fail "indicators differ between 1 and 2 threads"
"$ut" run "$tmp/c/every.toml" --out "$tmp/rd" --until 2024 --quiet
q() { ogrinfo -ro -q "$1" -sql "$2" | sed -n 's/^ *[a-z_]* ([A-Za-z0-9]*) = //p'; }
primary_ids=$(q "$tmp/c/city.gpkg" "SELECT road_id AS v FROM roads WHERE class = 'primary'" | sort -u)
local_ids=$(q "$tmp/c/city.gpkg" "SELECT road_id AS v FROM roads WHERE class = 'residential'" | sort -u)
segments=$(q "$tmp/c/city.gpkg" "SELECT SUM(ST_NumPoints(geom) - 1) AS v FROM roads WHERE class = 'primary'")
[ -n "$primary_ids" ] && [ "$segments" -ge 2 ] || fail "the tiny city has no primary road"
link_ids=$(q "$tmp/ra/outputs.gpkg" "SELECT road_id AS v FROM links" | sort -u)
nlinks=$(q "$tmp/ra/outputs.gpkg" "SELECT COUNT(*) AS v FROM links")
[ -n "$link_ids" ] || fail "no links with assignment_roads = [\"primary\"]"
extra=$(comm -23 <(echo "$link_ids") <(echo "$primary_ids"))
[ -z "$extra" ] || fail "links on roads that are not primary: $(echo $extra)"
[ "$nlinks" = $((2 * segments)) ] || fail "$nlinks links, expected 2 x $segments primary segments"
vol=$(q "$tmp/ra/outputs.gpkg" "SELECT SUM(volume_veh_h) AS v FROM link_years")
awk -v v="$vol" 'BEGIN { exit !(v > 0) }' || fail "no car volume on the primary network (sum $vol)"
default_local=$(comm -12 <(q "$tmp/rd/outputs.gpkg" "SELECT road_id AS v FROM links" | sort -u) <(echo "$local_ids") | wc -l)
[ "$default_local" -gt 0 ] || fail "the default network has no residential links"
for bad in footway boulevard; do
  with_key "[\"primary\", \"$bad\"]" bad
  set +e
  "$ut" run "$tmp/c/bad.toml" --out "$tmp/rb" --until 2024 --quiet 2>"$tmp/err"
  rc=$?
  set -e
  [ "$rc" = 2 ] || fail "assignment_roads with $bad: exit $rc, expected 2"
  grep -q "traffic.assignment_roads\[2\]" "$tmp/err" && grep -q "$bad" "$tmp/err" || fail "message for $bad: $(cat "$tmp/err")"
  [ ! -e "$tmp/rb" ] || fail "a run directory was left after the error"
done
echo "assignment_roads: $nlinks primary links ($segments segments), car volume $vol; footway and boulevard refused"
