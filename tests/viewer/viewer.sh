#!/usr/bin/env bash
# The viewer under Xvfb (Mesa): snapshots of a fixture run (Chengdu 2024-2026) checked pixel by
# pixel against their sidecars; recolouring by year; the difference of a run with itself; Chinese
# glyphs; home points; live edits (a scripted visitor: tap, choose, undo, idle reset, pixel checks); bad
# inputs (mode "fast", test viewer.xvfb); the exhibition tour for 10,000 frames with a visitor's edit every 50
# frames and flat memory, touch and keys (mode "soak", test viewer.exhibition_soak, label soak).
set -euo pipefail
ut=$1 viewer=$2 check=$3 src=$4 mode=${5:-fast}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
sc=$src/scenarios/chengdu-center
runs=$tmp/runs
mkdir -p "$runs"
"$ut" run "$sc/baseline.toml" --until 2026 --out "$runs/chengdu-center-baseline" --quiet
base=$runs/chengdu-center-baseline what=$runs/chengdu-center-community-services
v() { xvfb-run -a -s "-screen 0 1280x1024x24" "$viewer" "$@"; }
top=(--camera top --layers parcels --samples 2000)

if [ "$mode" = soak ]; then
# 6. The exhibition tour (the bundled one, its runs named as siblings) for 10,000 frames
#    off-screen with a visitor's action every 50 frames (a tap on a block and a class from the edit
#    menu, or undo; 30 actions, then the visitor leaves and the idle time reverts the edits; then
#    the next visitor): resident memory grows by less than 5 % from the first visitor's reset (the
#    session, the menu and the edit marks exist by then) to the end.
for r in community-services upzoning-metro greenway-links; do
  "$ut" run "$sc/whatif-$r.toml" --until 2026 --out "$runs/chengdu-center-$r" --quiet
done
v "$base" --exhibition "$src/scenarios/tours/chengdu-center.toml" --frames 10000 --size 640x360 --edit-every 50 --stats "$tmp/tour.json" > /dev/null
python3 - "$tmp/tour.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("exhibition:", s)
assert s["frames"] == 10000, s
l = s["live"]
assert l["state"] == "ready" and l["visitor_resets"] >= 3 and l["edits_answered"] >= 50, l
assert s["rss_measured_from_frame"] > 0 and s["rss_growth_pct"] < 5, s
PY
# 7. A visitor's touch pauses the tour for idle_seconds (45 s = 1,350 frames at the fixed 30 frames
#    a second), then it resumes; Escape does nothing; the operator's exit key ends it.
v "$base" --exhibition "$src/scenarios/tours/chengdu-center.toml" --frames 2000 --size 160x120 --touch-at 10 --stats "$tmp/touch.json" > /dev/null
v "$base" --exhibition "$src/scenarios/tours/chengdu-center.toml" --frames 400 --size 160x120 --keys-at 5 --stats "$tmp/keys.json" > /dev/null
python3 - "$tmp/touch.json" "$tmp/keys.json" <<'PY'
import json, sys
t, k = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print("touch:", t, "keys:", k)
assert t["frames_paused_by_input"] == 1350 and t["tour_resumed"] == 1 and t["frames"] == 2000, t
assert k["ended_by_exit_key"] and 5 * 30 + 30 <= k["frames"] <= 5 * 30 + 33, k  # Escape at 5 s ignored, F12 at 6 s
PY
echo "viewer soak: 10,000-frame exhibition tour with live edits every 50 frames and flat memory; touch pauses, keys"
exit 0
fi
"$ut" run "$sc/whatif-community-services.toml" --until 2026 --out "$runs/chengdu-center-community-services" --quiet

# 1. A fixture run renders; every sampled parcel shows exactly the colour its value maps to.
v "$base" --snapshot "$tmp/density.png" "${top[@]}" --indicator residents_per_ha > /dev/null
[ -s "$tmp/density.png" ] && [ -s "$tmp/density.json" ] || fail "no snapshot written"
"$check" colours "$tmp/density.png"
v "$base" --snapshot "$tmp/full.png" > /dev/null  # every layer, the overview camera, the HUD
[ -s "$tmp/full.png" ] || fail "overview snapshot"
grep -q '"attribution": "© OpenStreetMap contributors, ODbL"' "$tmp/full.json" || fail "attribution missing from the sidecar"
# The default colouring is the 15-minute life circle's share of residents, on the fixed range 0-1.
python3 - "$tmp/full.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["indicator"]["name"] == "cov_15min" and j["indicator"]["unit"] == "%", j["indicator"]
assert j["legend"]["lo"] == 0 and j["legend"]["hi"] == 1, j["legend"]
assert "home_points" not in j, "home points are off unless --layers names them"
PY

# Clicking a parcel picks it: at the pixel the sidecar gives for a parcel, the pick is that
# parcel, with one value per year.
read -r pid px py < <(python3 -c "
import json; j = json.load(open('$tmp/density.json'))
inside = [q for q in j['parcels'] if not q['may_be_hidden'] and q['margin_px'] >= 3]
p = inside[len(inside) // 3]
print(p['parcel_id'], p['x'], p['y'])")
v "$base" --snapshot "$tmp/pick.png" "${top[@]}" --pick "$px,$py" > /dev/null
v "$base" --snapshot "$tmp/kg.png" "${top[@]}" --indicator share_kindergarten --size 1280x720 > /dev/null
python3 - "$tmp/pick.json" "$pid" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["pick"]
assert p and p["parcel_id"] == int(sys.argv[2]) and len(p["values"]) == 3, p
print("pick:", p["parcel_id"], p["values"])
PY
# Desk mode starts and keeps running (stopped after 6 s by timeout: exit 124, not a crash).
set +e; timeout 6 xvfb-run -a -s "-screen 0 1280x1024x24" "$viewer" "$base" --size 640x480; rc=$?; set -e
[ $rc = 124 ] || fail "desk mode ended with $rc within 6 s"

# Live what-ifs in the exhibition (a scripted visitor on a one-stop tour, top camera, 1280x720):
# a tap on a block with few residents near a kindergarten, "kindergarten" from the menu, undo, the
# same again, then the visitor leaves (idle 3 s). The block's roof pixel shows the colour of the
# run's value, then of the value the edit session reports (another colour), the run's again after
# undo and after the idle reset.
read -r lpid < <(python3 -c "
import json; j = json.load(open('$tmp/kg.json'))
c = [q for q in j['parcels'] if not q['may_be_hidden'] and q['margin_px'] >= 14 and q['value'] is not None and q['value'] < 0.3
     and 200 <= q['x'] <= 900 and 150 <= q['y'] <= 520]
c.sort(key=lambda q: -q['margin_px'])
print(c[0]['parcel_id'])")
# Two blocks to draw a greenway between: far apart, and the line between them well clear of the
# tapped block (its roof pixel is probed after the greenway too).
read -r ga gb < <(python3 -c "
import json, math; j = json.load(open('$tmp/kg.json'))
q = {p['parcel_id']: p for p in j['parcels']}; t = q[$lpid]
c = [p for p in j['parcels'] if not p['may_be_hidden'] and p['margin_px'] >= 14 and 200 <= p['x'] <= 900 and 150 <= p['y'] <= 520]
def away(a, b):  # distance of the tapped block from the segment a-b, in pixels
    ax, ay, bx, by = a['x'], a['y'], b['x'], b['y']; L = (bx - ax) ** 2 + (by - ay) ** 2
    u = max(0.0, min(1.0, ((t['x'] - ax) * (bx - ax) + (t['y'] - ay) * (by - ay)) / L))
    return math.hypot(t['x'] - ax - u * (bx - ax), t['y'] - ay - u * (by - ay))
best = max(((a, b) for a in c for b in c if math.hypot(a['x'] - b['x'], a['y'] - b['y']) >= 250), key=lambda ab: away(*ab))
assert away(*best) >= 150, away(*best)
print(best[0]['parcel_id'], best[1]['parcel_id'])")
cat > "$tmp/live-tour.toml" <<TOML
idle_seconds = 3
exit_key = "F12"
[live]
budget = 2
[[stop]]
camera = "top"
indicator = "share_kindergarten"
seconds = 60
TOML
cat > "$tmp/live.script" <<SCRIPT
0.5 probe $lpid before
1.0 tap_parcel $lpid
1.2 choose kindergarten
1.4 probe $lpid added
1.6 undo
1.8 probe $lpid undone
2.0 tap_parcel $lpid
2.2 choose kindergarten
2.4 probe $lpid added_again
2.6 tap_parcel $lpid
2.8 choose greenway
3.0 drag_parcels $ga $gb
3.4 probe $lpid greenway_drawn
3.6 tap_parcel $lpid
3.8 choose kindergarten
4.0 probe $lpid budget_used
8.0 probe $lpid after_idle_reset
SCRIPT
v "$base" --exhibition "$tmp/live-tour.toml" --frames 260 --size 1280x720 --script "$tmp/live.script" --stats "$tmp/live.json" > /dev/null
python3 - "$tmp/live.json" "$tmp/kg.json" "$lpid" <<'PY'
import json, math, sys
s, snap, pid = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
assert s["live"]["state"] == "ready", s["live"]
pr = {p["label"]: p for p in s["probes"]}
assert set(pr) == {"before", "added", "undone", "added_again", "greenway_drawn", "budget_used", "after_idle_reset"}, list(pr)
ref = next(q for q in snap["parcels"] if q["parcel_id"] == pid)
def entry(v):  # the viewer's index_of on the fixed 0-1 range of shares
    return 255 if v is None else int(math.floor(min(max(v, 0.0), 1.0) * 254 + 0.5))
for k, p in pr.items():
    shown = "share_greenway" if k in ("greenway_drawn", "budget_used") else "share_kindergarten"  # an edit shows its class
    assert not p["may_be_hidden"] and p["clear_of_marks"] and p["indicator"] == shown and p["year"] == 2026, p
    assert p["pixel_rgb"] == p["expected_rgb"], (k, p)  # the pixel is the colour of the value shown
b = pr["before"]
assert b["expected_rgb"] == ref["rgb"] and abs(b["value"] - ref["value"]) < 1e-6 and not b["editing"], (b, ref)
for k in ("added", "added_again"):
    a = pr[k]
    assert a["editing"] and a["edits"] == 1, a
    assert a["session_value"] == a["value"] and entry(a["session_value"]) == a["entry"], a  # the session's value, coloured
    assert a["entry"] != b["entry"] and a["pixel_rgb"] != b["pixel_rgb"], (a, b)      # another colour than the run's
for k in ("undone", "after_idle_reset"):
    u = pr[k]
    assert u["pixel_rgb"] == b["pixel_rgb"] and u["entry"] == b["entry"], (k, u, b)
assert pr["undone"]["edits"] == 0 and pr["undone"]["session_value"] == b["value"], pr["undone"]
assert not pr["after_idle_reset"]["editing"] and pr["after_idle_reset"]["edits"] == 0, pr["after_idle_reset"]
# A drag in greenway mode is the second edit (answered: the walk network rebuilt); the budget of 2
# is then used up, so a third edit is refused with the visitor told why, and the block keeps the
# colour of the kindergarten added before.
drag = [a for a in s["actions"] if a["action"] == "drag_parcels"]
assert len(drag) == 1 and "frame_ms" in drag[0] and drag[0]["parcels_changed"] > 0, drag
g, bu = pr["greenway_drawn"], pr["budget_used"]
assert g["edits"] == 2 and bu["edits"] == 2 and "all 2 edits used" in bu["status"] and "已用完" in bu["status"], (g, bu)
assert "+" in g["status"] and "greenway" in g["status"] and "绿道" in g["status"], g
assert bu["pixel_rgb"] == g["pixel_rgb"] and bu["session_value"] == g["session_value"], (bu, g)
assert s["live"]["visitor_resets"] == 1 and s["tour_resumed"] == 1, s
adds = [a for a in s["actions"] if a["action"] == "choose" and a["args"] == ["kindergarten"] and "frame_ms" in a]
assert len(adds) == 2 and all(a["residents_newly_served"] > 0 and "幼儿园" in a["message"] and "kindergarten" in a["message"] for a in adds), adds
print("live edits:", {k: (p["value"], p["entry"], p["pixel_rgb"]) for k, p in pr.items()}, "tap to frame ms:", [round(a["frame_ms"], 1) for a in adds])
PY

# Live edits at the desk (a scripted mouse and keyboard in a window under Xvfb): a click on the
# block, "kindergarten" from the menu, Ctrl+Z, the same again, S: the edits are saved as a what-if
# scenario next to the run (whatif-1.toml), dated to the year shown, which urbantwin accepts.
printf '1.0 tap_parcel %s\n1.2 choose kindergarten\n1.4 undo\n1.6 tap_parcel %s\n1.8 choose kindergarten\n2.0 save\n' "$lpid" "$lpid" > "$tmp/desk.script"
v "$base" --camera top --script "$tmp/desk.script" --frames 75 > "$tmp/desk.out"
grep -q '"edits":1' "$tmp/desk.out" || fail "desk edits: $(cat "$tmp/desk.out")"
[ -s "$runs/whatif-1.toml" ] || fail "desk: save as scenario wrote no whatif-1.toml: $(cat "$tmp/desk.out")"
grep -q 'kindergarten' "$runs/whatif-1.toml" && grep -q '2026' "$runs/whatif-1.toml" || fail "whatif-1.toml lacks the edit: $(cat "$runs/whatif-1.toml")"
"$ut" validate "$runs/whatif-1.toml" > /dev/null || fail "urbantwin validate refuses the saved what-if"

# 2. Another year recolours exactly the parcels whose colour entry changed: kindergartens open in
#    2026 in the what-if, so the shares of the parcels near them change, most others do not.
v "$what" --snapshot "$tmp/k2025.png" "${top[@]}" --indicator share_kindergarten --year 2025 > /dev/null
v "$what" --snapshot "$tmp/k2026.png" "${top[@]}" --indicator share_kindergarten --year 2026 > /dev/null
"$check" recolour "$tmp/k2025.png" "$tmp/k2026.png"
"$check" colours "$tmp/k2026.png"

# 3. The difference of a run with itself is the zero colour everywhere; a real difference is not.
v "$base" --compare "$base" --snapshot "$tmp/self.png" "${top[@]}" > /dev/null
"$check" zero "$tmp/self.png"
v "$what" --compare "$base" --snapshot "$tmp/diff.png" "${top[@]}" --indicator share_kindergarten > /dev/null
if "$check" zero "$tmp/diff.png" > /dev/null; then fail "a real difference shows as zero everywhere"; fi

# Home points: zoomed to a few blocks, every dot clear of its neighbours shows within reach (white)
# or not (red) for the class, and the residents within reach add up to the parcels' served_ counts.
v "$base" --snapshot "$tmp/homes.png" --camera top --focus 1158,400 --layers parcels,homes --indicator share_kindergarten --samples 600 > /dev/null
"$check" points "$tmp/homes.png"
served=$(sqlite3 "$base/outputs.gpkg" "select sum(served_kindergarten) from parcel_years where year = 2026")
python3 - "$tmp/homes.json" "$served" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["home_points"]
assert h["year"] == 2026 and h["key"] == "kindergarten", h
assert h["residents"]["within"] == int(sys.argv[2]) > 0, (h["residents"], sys.argv[2])
print("home points:", h["points"], h["residents"])
PY
# Other years than the layer's (the run's last) draw no dots.
v "$base" --snapshot "$tmp/homes2025.png" --camera top --focus 1158,400 --layers parcels,homes --year 2025 --samples 10 > /dev/null
python3 -c "import json; assert 'home_points' not in json.load(open('$tmp/homes2025.json'))" || fail "home points drawn in a year they are not of"

"$viewer" --version | grep -q urbantwin-viewer || fail "--version"
"$viewer" --help > /dev/null || fail "--help"

# 4. Chinese glyphs render (not the font's missing-glyph image).
"$viewer" --check-font > "$tmp/font.json" || fail "font check: $(cat "$tmp/font.json")"

# 5. Bad input: exit 2 with a clear message, never a crash.
expect2() {
  local what=$1; shift
  set +e; v "$@" > /dev/null 2> "$tmp/err"; local rc=$?; set -e
  [ $rc = 2 ] || fail "$what: exit $rc, $(cat "$tmp/err")"
  grep -q "$what" "$tmp/err" || fail "message lacks '$what': $(cat "$tmp/err")"
}
expect2 "run directory must exist" "$tmp/nope" --snapshot "$tmp/x.png"
expect2 "must be one of" "$base" --snapshot "$tmp/x.png" --indicator no_such_indicator
expect2 "must be a simulated year of the run (2024-2026)" "$base" --snapshot "$tmp/x.png" --year 2031
mkdir -p "$tmp/empty" && cp "$base/manifest.json" "$tmp/empty/"
ogr2ogr -f GPKG "$tmp/empty/outputs.gpkg" "$base/outputs.gpkg" facilities 2> /dev/null
expect2 "layer parcels" "$tmp/empty" --snapshot "$tmp/x.png"
expect2 "must be one of: overview" "$base" --snapshot "$tmp/x.png" --camera nowhere
expect2 "must name a parcel_id of the run" "$base" --snapshot "$tmp/x.png" --focus 99999999,300
expect2 "must list parcels, links, greenways, facilities, homes" "$base" --snapshot "$tmp/x.png" --layers parcels,houses
# A tour offering a class the run does not have, or a bad budget, is refused before the show.
printf 'idle_seconds = 5\n[live]\nbudget = 3\n[[live.offer]]\nclass = "school"\nzh = "学校"\nen = "school"\n[[stop]]\nseconds = 5\n' > "$tmp/bad-offer.toml"
expect2 "must name a coverage class of the run" "$base" --exhibition "$tmp/bad-offer.toml" --frames 5 --size 160x120
printf '[live]\nbudget = 0\n[[stop]]\nseconds = 5\n' > "$tmp/bad-budget.toml"
expect2 "key live.budget" "$base" --exhibition "$tmp/bad-budget.toml" --frames 5 --size 160x120
# A damaged run directory (one parcel-year row deleted) is refused, not shown with a hole.
cp -r "$base" "$tmp/holed"
sqlite3 "$tmp/holed/outputs.gpkg" "delete from parcel_years where fid = (select min(fid) from parcel_years where year = 2025)"
expect2 "must have a row for each manifest year" "$tmp/holed" --snapshot "$tmp/x.png"
[ ! -e "$tmp/x.png" ] || fail "a failed snapshot left a file"

echo "viewer: snapshots match their sidecars, recolour and zero difference exact, CJK glyphs, bad inputs exit 2"
