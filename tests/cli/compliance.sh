#!/usr/bin/env bash
# Norms compliance in a run (docs/compliance.md): a short Chengdu run's compliance.csv checked
# against its own indicators.csv and the profile's [[compliance]] norms (each value is the
# indicator's cell of that year, each status recomputed from op and target), with a pass, a fail
# and a "no data" row (elderly care: absent from the bundled OSM data); manifest.json's
# failing_norms and the run's stdout list the final year's failing rows.
set -uo pipefail
ut=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ut" run "$src/scenarios/chengdu-center/baseline.toml" --until 2025 --keep indicators --out "$tmp/run" >"$tmp/out" 2>"$tmp/err" \
  || { echo "FAIL: run exited $?: $(cat "$tmp/err")"; exit 1; }
/usr/bin/python3 - "$tmp/run" "$tmp/out" "$src/gis-data/chengdu-center/profile.toml" <<'PY'
import csv, json, sys, tomllib
run, out, profile = sys.argv[1:4]
fail = []
rows = list(csv.DictReader(open(f"{run}/compliance.csv", encoding="utf-8")))
header = open(f"{run}/compliance.csv", encoding="utf-8").readline().strip()
if header != "year,indicator,norm,clause,op,target,value,status": fail.append(f"header {header}")
ind = {r["year"]: r for r in csv.DictReader(open(f"{run}/indicators.csv"))}
norms = tomllib.load(open(profile, "rb"))["compliance"]
if len(rows) != len(norms) * len(ind): fail.append(f"{len(rows)} rows, expected {len(norms)} norms x {len(ind)} years")
ops = {">=": lambda v, t: v >= t, "<=": lambda v, t: v <= t, ">": lambda v, t: v > t, "<": lambda v, t: v < t}
for i, r in enumerate(rows):
    n = norms[i % len(norms)]
    for k in ("indicator", "norm", "clause", "op"):
        if r[k] != n[k]: fail.append(f"row {i + 2}: {k} {r[k]!r}, profile says {n[k]!r}")
    if float(r["target"]) != float(n["target"]): fail.append(f"row {i + 2}: target {r['target']}")
    cell = ind[r["year"]][r["indicator"]]
    if r["value"] != cell: fail.append(f"row {i + 2}: value {r['value']!r}, indicators.csv has {cell!r}")
    want = "no data" if cell == "" else ("pass" if ops[r["op"]](float(cell), float(r["target"])) else "fail")
    if r["status"] != want: fail.append(f"row {i + 2}: status {r['status']}, expected {want}")
statuses = {r["status"] for r in rows}
if statuses != {"pass", "fail", "no data"}: fail.append(f"statuses {statuses}: want a pass, a fail and a no data")
nodata = [r["indicator"] for r in rows if r["status"] == "no data"]
if set(nodata) != {"access_elderly_care_pct"}: fail.append(f"no data rows: {set(nodata)}")
last = max(ind)
failing = [r for r in rows if r["year"] == last and r["status"] == "fail"]
m = json.load(open(f"{run}/manifest.json"))
got = [(f["indicator"], f["target"], f["value"]) for f in m["failing_norms"]]
want = [(r["indicator"], float(r["target"]), float(r["value"])) for r in failing]
if got != want: fail.append(f"manifest failing_norms {got} != {want}")
if "compliance.csv" not in m["outputs"]: fail.append("compliance.csv not in manifest outputs")
text = open(out, encoding="utf-8").read()
if f"Norms in {last}: {len(failing)} of {len(norms)} failing, 1 without data" not in text: fail.append("stdout lacks the norms summary")
for r in failing:
    if not any(l.startswith(f"  fail {r['indicator']} ") for l in text.splitlines()): fail.append(f"stdout lacks fail {r['indicator']}")
for f in fail: print("FAIL", f)
print(f"{len(rows)} rows checked; {len(failing)} failing in {last}; no data: {sorted(set(nodata))}")
sys.exit(1 if fail else 0)
PY
rc=$?
# --quiet prints nothing.
"$ut" run "$src/scenarios/chengdu-center/baseline.toml" --until 2024 --keep indicators --out "$tmp/q" --quiet >"$tmp/qout" 2>&1 \
  || { echo "FAIL: quiet run"; exit 1; }
[ ! -s "$tmp/qout" ] || { echo "FAIL: --quiet printed: $(head -3 "$tmp/qout")"; rc=1; }
[ $rc -eq 0 ] && echo "ok"
exit $rc
