#!/usr/bin/env bash
# Tap -> recoloured frame of the exhibition's live edits, measured per frame: a scripted visitor
# taps 20 blocks of the top view in turn, adds a kindergarten to each (then undoes every third),
# at 1280x720 off-screen (Mesa llvmpipe under Xvfb). The frame that answers an edit takes the tap's
# event, the session's answer (Session::add_facility / undo), the recolour of the changed blocks
# and the render. Prints median, p95 and max over the edit frames (adds and undos).
# Usage: bench/viewer_live.sh VIEWER RUN_DIR [SIZE]
#   e.g. bench/viewer_live.sh build/ci/viewer/urbantwin-viewer runs/chengdu-center-baseline
set -euo pipefail
viewer=$1 run=$2 size=${3:-1280x720}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
x() { xvfb-run -a -s "-screen 0 1920x1080x24" "$viewer" "$@"; }
x "$run" --snapshot "$tmp/top.png" --camera top --layers parcels --samples 2000 --indicator share_kindergarten --size "$size" > /dev/null
w=${size%x*} h=${size#*x}
python3 - "$tmp/top.json" "$w" "$h" > "$tmp/script" <<'PY'
import json, sys
j, w, h = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
c = [q for q in j["parcels"] if not q["may_be_hidden"] and q["margin_px"] >= 6 and q["value"] is not None and q["value"] < 0.5
     and 0.15 * w <= q["x"] <= 0.7 * w and 0.25 * h <= q["y"] <= 0.75 * h]
c = c[:: max(1, len(c) // 20)][:20]
t = 1.0
for i, q in enumerate(c):
    print(f"{t:.2f} tap_parcel {q['parcel_id']}"); t += 0.2
    print(f"{t:.2f} choose kindergarten"); t += 0.2
    if i % 3 == 2:
        print(f"{t:.2f} undo"); t += 0.2
PY
printf 'idle_seconds = 600\n[live]\nbudget = 50\n[[stop]]\ncamera = "top"\nindicator = "share_kindergarten"\nseconds = 600\n' > "$tmp/tour.toml"
secs=$(tail -1 "$tmp/script" | cut -d' ' -f1)
frames=$(python3 -c "print(int(($secs + 0.5) * 30))")
/usr/bin/time -f "%e s wall, %M KiB peak" xvfb-run -a -s "-screen 0 1920x1080x24" "$viewer" "$run" --exhibition "$tmp/tour.toml" \
  --frames "$frames" --size "$size" --script "$tmp/script" --stats "$tmp/stats.json" > /dev/null
python3 - "$tmp/stats.json" "$size" <<'PY'
import json, statistics, sys
s = json.load(open(sys.argv[1]))
e = [a for a in s["actions"] if "frame_ms" in a]
f = sorted(a["frame_ms"] for a in e)
ed = sorted(a["edit_ms"] for a in e)
p95 = lambda v: v[min(len(v) - 1, (len(v) * 95) // 100)]
print(f"{sys.argv[2]}: {len(f)} edit frames (adds and undos): tap -> recoloured frame median {statistics.median(f):.1f} ms, "
      f"p95 {p95(f):.1f} ms, max {f[-1]:.1f} ms; session + recolour alone median {statistics.median(ed):.2f} ms, max {ed[-1]:.2f} ms; "
      f"mean frame of the run {s['mean_frame_ms']:.1f} ms; session opened in {s['live']['open_seconds']:.1f} s")
PY
