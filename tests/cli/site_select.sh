#!/usr/bin/env bash
# `urbantwin site-select` (docs/site-select.md): 5 kindergartens on central Chengdu in 2024; the
# outputs exist and agree; the what-if it writes runs with `urbantwin run` from another folder and
# its kindergarten access in 2024 rises by exactly the residents gain.csv promises; bad options
# exit 2 naming the option; an existing output needs --overwrite and is never someone else's.
set -euo pipefail
ut=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sc=$src/scenarios/chengdu-center/baseline.toml
fail() { echo "FAIL: $*"; exit 1; }

"$ut" site-select "$sc" --class kindergarten --count 5 --out "$tmp/sel" > "$tmp/sel.txt"
cat "$tmp/sel.txt"
for f in manifest.json sites.gpkg gain.csv whatif.toml ATTRIBUTION.txt; do [ -s "$tmp/sel/$f" ] || fail "no $f"; done
grep -q '"kind": "site-select"' "$tmp/sel/manifest.json" || fail "manifest kind"
[ "$(head -1 "$tmp/sel/gain.csv")" = "rank,candidate_id,parcel_id,residents_new,residents_cumulative,share_pct" ] || fail "gain.csv header"
[ "$(tail -n +2 "$tmp/sel/gain.csv" | wc -l)" = 5 ] || fail "gain.csv has not 5 rows"
# Gains are positive and non-increasing; cumulative adds them up.
awk -F, 'NR > 1 { if ($4 <= 0 || (NR > 2 && $4 > prev) || $5 != cum + $4) bad = 1; prev = $4; cum = $5 }
         END { exit bad }' "$tmp/sel/gain.csv" || fail "gain.csv: gains not positive and non-increasing, or cumulative wrong"
n=$(sqlite3 "$tmp/sel/sites.gpkg" "select count(*) from sites where class = 'kindergarten' and residents_new > 0")
[ "$n" = 5 ] || fail "sites.gpkg has $n sites, expected 5"
sqlite3 "$tmp/sel/sites.gpkg" "select value from about where key = 'attribution'" | grep -q "OpenStreetMap contributors" \
  || fail "sites.gpkg lacks the ODbL attribution"
[ "$(grep -c '^\[\[add_facility\]\]' "$tmp/sel/whatif.toml")" = 5 ] || fail "whatif.toml has not 5 [[add_facility]]"

# The what-if runs from elsewhere (its paths are absolute) and serves exactly the promised residents more.
cp "$tmp/sel/whatif.toml" "$tmp/moved.toml"
(cd / && "$ut" run "$tmp/moved.toml" --until 2024 --keep indicators --out "$tmp/what" --quiet)
python3 - "$tmp/sel/manifest.json" "$tmp/what/indicators.csv" <<'PY' || fail "the what-if's gain differs from gain.csv"
import csv, json, sys
m = json.load(open(sys.argv[1]))
row = next(r for r in csv.DictReader(open(sys.argv[2])) if r["year"] == "2024")
pop = float(row["population"])
served = float(row["access_kindergarten_pct"]) * pop / 100
gain = served - m["residents_served_before"]
print(f"what-if: {served:.1f} served, gain {gain:.1f}; site-select: {m['residents_new']} (before {m['residents_served_before']} of {m['residents']})")
assert pop == m["residents"], (pop, m["residents"])
assert abs(gain - m["residents_new"]) < 0.01, (gain, m["residents_new"])
PY

# Candidates from a layer: the five chosen points as GeoJSON (in the run's CRS) give the same five
# sites and the same residents; a sixth cannot be chosen; a line is no candidate.
python3 - "$tmp/sel/whatif.toml" "$tmp/five.geojson" "$tmp/line.geojson" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
xs = [float(v) for v in re.findall(r"^x = (\S+)$", t, re.M)]
ys = [float(v) for v in re.findall(r"^y = (\S+)$", t, re.M)]
crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32648"}}
feats = [{"type": "Feature", "id": i + 1, "properties": {}, "geometry": {"type": "Point", "coordinates": [x, y]}}
         for i, (x, y) in enumerate(zip(xs, ys))]
json.dump({"type": "FeatureCollection", "crs": crs, "features": feats}, open(sys.argv[2], "w"))
line = {"type": "Feature", "id": 7, "properties": {}, "geometry": {"type": "LineString", "coordinates": [[xs[0], ys[0]], [xs[1], ys[1]]]}}
json.dump({"type": "FeatureCollection", "crs": crs, "features": [feats[0], line]}, open(sys.argv[3], "w"))
PY
"$ut" site-select "$sc" --class kindergarten --count 5 --candidates "$tmp/five.geojson" --out "$tmp/layer" --quiet
a=$(awk -F, 'END {print $5}' "$tmp/sel/gain.csv") b=$(awk -F, 'END {print $5}' "$tmp/layer/gain.csv")
[ "$a" = "$b" ] || fail "the chosen points given as a layer serve $b residents, not $a"
[ "$(cut -d, -f3 "$tmp/layer/gain.csv" | tail -n +2 | tr -d '\n')" = "" ] || fail "a layer's candidates have no parcel_id"

# An existing output needs --overwrite; with it, the same answer.
set +e
"$ut" site-select "$sc" --class kindergarten --count 5 --out "$tmp/sel" --quiet 2> "$tmp/err"; rc=$?
set -e
[ $rc = 2 ] && grep -q -- "--overwrite" "$tmp/err" || fail "an existing output without --overwrite: rc $rc, $(cat "$tmp/err")"
cp "$tmp/sel/gain.csv" "$tmp/gain1.csv"
"$ut" site-select "$sc" --class kindergarten --count 5 --out "$tmp/sel" --overwrite --quiet --threads 1
cmp -s "$tmp/gain1.csv" "$tmp/sel/gain.csv" || fail "--threads 1 chose differently"
mkdir -p "$tmp/mine"; echo keep > "$tmp/mine/notes.txt"
expect2() {  # expect2 WHAT PATTERN ARGS...: exit 2 and stderr matching PATTERN
  local what=$1 pat=$2; shift 2
  set +e; "$ut" "$@" 2> "$tmp/err" > /dev/null; local rc=$?; set -e
  [ $rc = 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$tmp/err"))"
  grep -q -- "$pat" "$tmp/err" || fail "$what: message lacks '$pat': $(cat "$tmp/err")"
}
expect2 "someone else's folder" "mine" site-select "$sc" --class kindergarten --count 1 --out "$tmp/mine" --overwrite
[ -f "$tmp/mine/notes.txt" ] || fail "someone else's folder was touched"
expect2 "unknown class" "did you mean 'kindergarten'" site-select "$sc" --class kindergarden --count 1 --out "$tmp/x"
expect2 "K = 0" "option --count" site-select "$sc" --class kindergarten --count 0 --out "$tmp/x"
expect2 "K too large" "option --count" site-select "$sc" --class kindergarten --count 100000 --out "$tmp/x"
expect2 "year outside" "option --year" site-select "$sc" --class kindergarten --count 1 --year 2099 --out "$tmp/x"
expect2 "missing candidates file" "option --candidates" site-select "$sc" --class kindergarten --count 1 --candidates "$tmp/none.gpkg" --out "$tmp/x"
expect2 "K above the layer's candidates" "option --count" site-select "$sc" --class kindergarten --count 6 --candidates "$tmp/five.geojson" --out "$tmp/x"
expect2 "a line as candidate" "feature 7" site-select "$sc" --class kindergarten --count 1 --candidates "$tmp/line.geojson" --out "$tmp/x"
expect2 "unknown layer" "did you mean" site-select "$sc" --class kindergarten --count 1 --candidates "$tmp/five.geojson:fiv" --out "$tmp/x"
expect2 "output is an input folder" "input" site-select "$sc" --class kindergarten --count 1 --out "$src/gis-data/chengdu-center" --overwrite
[ ! -e "$tmp/x" ] || fail "a refused command left $tmp/x"
echo "site-select: outputs, what-if gain and bad options OK"
