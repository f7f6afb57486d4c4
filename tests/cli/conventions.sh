#!/usr/bin/env bash
# The command-line conventions (docs/conventions.md, "Command line"), for every subcommand
# (prepare-osm, validate, run, compare, batch, assign; report and site-select: the bar, -q,
# --version and --overwrite), on a tiny city derived here from
# tests/data/osm_classes (as cli.new_city does) and the Braess network:
# - on a terminal (`script` gives the command one) a progress bar on stderr with a percentage and
#   "left", redrawn with '\r' and ended by a newline; without a terminal none, with --progress
#   the bar again; never on stdout;
# - --json: stdout is one JSON object whose values equal the files written (the final year's
#   indicators equal indicators.csv's last row; validate's and prepare-osm's counts equal the
#   GeoPackage's); an error is exit 2 with {"error": ...} on stdout and the message on stderr;
# - -q / --quiet: nothing at all on stdout or stderr;
# - SUB --version: exit 0, the commit `git rev-parse --short HEAD` of the source tree (when it is
#   a git work tree), "dirty" exactly when tracked files differ; a tree without git says "commit
#   unknown" (cmake/build_commit.cmake run on a copy outside any repository);
# - an existing output is kept (exit 2, every byte unchanged) unless --overwrite is given;
# - the run directory holds the scenario file byte for byte (scenario.original.toml), listed in
#   manifest.json with its SHA-256, and manifest.json names the commit.
set -euo pipefail
ut=$(realpath "$1") src=$(realpath "$2") osm=$(realpath "$3")/classes.osm tntp=$(realpath "$4")
tmp=$(mktemp -d); trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3
json() {  # json FILE EXPR: prints EXPR evaluated with j = the file's JSON object
  "$py" -c 'import json, sys; j = json.load(open(sys.argv[1])); assert isinstance(j, dict); print(eval(sys.argv[2]))' "$1" "$2"
}
# tty NAME CMD...: runs CMD on a pseudo-terminal; its output (stdout and stderr) in $tmp/NAME.tty.
tty() {
  local name=$1; shift
  local cmd; printf -v cmd '%q ' "$@"
  script -qec "$cmd" /dev/null > "$tmp/$name.tty" || fail "$name on a terminal: exit $?, $(tr '\r' '\n' < "$tmp/$name.tty" | tail -3)"
  # On a loaded machine `script` can return before the last of the terminal's output reached the
  # file (seen: the bar's final 100 % line missing, present a moment later): wait until the file
  # has stopped growing for 0.3 s (at most 10 s).
  local size=-1 i
  for i in $(seq 50); do
    [ "$(stat -c %s "$tmp/$name.tty")" = "$size" ] && break
    size=$(stat -c %s "$tmp/$name.tty")
    sleep 0.3
  done
}
# has_bar FILE LABEL: a bar of LABEL with a percentage and the time left, redrawn in place, ended
# by 100 % and a newline.
has_bar() {
  grep -qaE "$2: +[0-9]+% \[" "$1" || fail "$1: no progress bar of '$2': $(head -c 300 "$1" | tr '\r' '|')"
  grep -qaE "$2: +[0-9]+% \[[^]]*\] .*left" "$1" || fail "$1: the bar of '$2' shows no time left"
  [ "$(tr -cd '\r' < "$1" | wc -c)" -ge 2 ] || fail "$1: the bar is not redrawn in place (no \\r)"
  tr '\r' '\n' < "$1" | grep -qaE "$2: 100% \[=+\] done in" || fail "$1: the bar of '$2' does not end at 100 %: $(tr '\r' '\n' < "$1" | tail -3)"
}
no_bar() {  # no_bar FILE LABEL
  if grep -qaE "[0-9]+% \[" "$1" || grep -qa $'\r' "$1"; then fail "$1: a progress bar without a terminal: $(head -c 200 "$1")"; fi
}
quiet() {  # quiet NAME CMD...: exit 0, nothing on stdout or stderr
  local name=$1; shift
  "$@" > "$tmp/$name.q.out" 2> "$tmp/$name.q.err" || fail "$name -q: exit $?, $(cat "$tmp/$name.q.err")"
  [ ! -s "$tmp/$name.q.out" ] && [ ! -s "$tmp/$name.q.err" ] ||
    fail "$name -q printed: $(cat "$tmp/$name.q.out" "$tmp/$name.q.err" | head -3)"
}
# kept NAME OUTPUT CMD...: OUTPUT exists; CMD (without --overwrite) exits 2 naming --overwrite
# and leaves every byte of OUTPUT as it was.
kept() {
  local name=$1 out=$2; shift 2
  local before; before=$(find "$out" -type f -exec sha256sum {} + | sort)
  set +e; "$@" > "$tmp/$name.kept.out" 2> "$tmp/$name.kept.err"; local rc=$?; set -e
  [ $rc = 2 ] && grep -q -- "--overwrite" "$tmp/$name.kept.err" || fail "$name over an existing output: exit $rc, $(cat "$tmp/$name.kept.err")"
  [ "$(find "$out" -type f -exec sha256sum {} + | sort)" = "$before" ] || fail "$name changed the existing output $out"
}

# --- --version on every subcommand, with the commit ---------------------------------------------
# The build's commit must be the source tree's HEAD; ", dirty" is left out when the tree is clean
# now (a tree edited since the build, e.g. while developing, may or may not have been dirty then).
want=unknown dirty=""
if git -C "$src" rev-parse --show-toplevel > /dev/null 2>&1 &&
  [ "$(realpath "$(git -C "$src" rev-parse --show-toplevel)")" = "$src" ]; then
  want=$(git -C "$src" rev-parse --short HEAD)
  [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ] && dirty=maybe
fi
for sub in "" run validate prepare-osm compare batch assign report site-select; do
  # shellcheck disable=SC2086
  v=$("$ut" $sub --version) || fail "urbantwin $sub --version: exit $?"
  [[ "$v" =~ ^urbantwin\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ ([^,]*)(, dirty)?\)$ ]] || fail "urbantwin $sub --version printed '$v'"
  [ "${BASH_REMATCH[1]}" = "$want" ] || fail "urbantwin $sub --version says commit ${BASH_REMATCH[1]}, the source tree is at $want (rebuild?)"
  [ -z "${BASH_REMATCH[2]}" ] || [ -n "$dirty" ] || fail "urbantwin $sub --version says dirty, the source tree is clean"
done
mkdir "$tmp/nogit" && cp "$src/cmake/build_commit.cmake" "$tmp/nogit/"
cmake -DSRC="$tmp/nogit" -DOUT="$tmp/nogit/h.hpp" -P "$tmp/nogit/build_commit.cmake"
grep -qx '#define UT_BUILD_COMMIT ""' "$tmp/nogit/h.hpp" || fail "a tree without git: $(cat "$tmp/nogit/h.hpp")"

# --- prepare-osm -----------------------------------------------------------------------------
# The generic profile's tables name the standards file beside the profile's folder: ../norms/.
mkdir -p "$tmp/city" "$tmp/scenarios" "$tmp/norms"
cp "$src/gis-data/norms/gb50180-2018.toml" "$tmp/norms/"
{
  echo 'name = "testville"'
  awk '/^# -----/ { exit } /^\[demography\]/ { f = 1 } f' "$src/gis-data/generic/profile.toml"
  echo '[prepare_osm]'
  echo 'city = "testville"'
  awk '/^\[prepare_osm.land_use.residential\]/ { f = 1 } /^\[prepare_osm.greenways\]/ { f = 0 } f' "$src/gis-data/generic/profile.toml"
  cat <<'TOML'
[prepare_osm.greenways]
river_buffer_m = 50
rivers = ["*"]
names = []
park_share = 0.5
designated_routes = false
source = "this test"

[prepare_osm.facilities]
classes = ["kindergarten", "primary_school", "middle_school", "health", "elderly_care", "fire_station", "metro", "park", "green_space"]
source = "this test"
TOML
} > "$tmp/city/profile.toml"
prep=("$ut" prepare-osm "$osm" --bbox 7.40,43.70,7.42,43.72 --profile "$tmp/city/profile.toml" --residents 1000)
tty prep "${prep[@]}" --out "$tmp/city/testville.gpkg"
has_bar "$tmp/prep.tty" "urbantwin prepare-osm"
grep -qa "wrote $tmp/city/testville.gpkg" "$tmp/prep.tty" || fail "prepare-osm on a terminal: no summary"
"${prep[@]}" --out "$tmp/p2.gpkg" > "$tmp/p2.out" 2> "$tmp/p2.err"
no_bar "$tmp/p2.err" && grep -q "^wrote " "$tmp/p2.out" || fail "prepare-osm: no summary on stdout"
"${prep[@]}" --out "$tmp/p3.gpkg" --progress > "$tmp/p3.out" 2> "$tmp/p3.err"
has_bar "$tmp/p3.err" "urbantwin prepare-osm"
no_bar "$tmp/p3.out"
quiet prep "${prep[@]}" --out "$tmp/p4.gpkg" -q
"${prep[@]}" --out "$tmp/p5.gpkg" --json > "$tmp/p5.json" 2> "$tmp/p5.err"
[ "$(json "$tmp/p5.json" "j['counts']['parcels']")" = "$(sqlite3 "$tmp/p5.gpkg" 'select count(*) from parcels')" ] ||
  fail "prepare-osm --json: parcels differ from the GeoPackage's"
[ "$(json "$tmp/p5.json" "j['out']")" = "$tmp/p5.gpkg" ] || fail "prepare-osm --json: out"
kept prep "$tmp/p5.gpkg" "${prep[@]}" --out "$tmp/p5.gpkg"
"${prep[@]}" --out "$tmp/p5.gpkg" --overwrite -q || fail "prepare-osm --overwrite"

# --- validate ---------------------------------------------------------------------------------
sc=$tmp/scenarios/baseline.toml
cat > "$sc" <<'TOML'
name = "testville-baseline"
profile = "../city/profile.toml"
seed = 7
base_year = 2024
end_year = 2026
crs = "EPSG:32632"
[layers.parcels]
source = "../city/testville.gpkg"
layer = "parcels"
[layers.roads]
source = "../city/testville.gpkg"
layer = "roads"
[layers.greenways]
source = "../city/testville.gpkg"
layer = "greenways"
[layers.facilities]
source = "../city/testville.gpkg"
layer = "facilities"
[layers.barriers]
source = "../city/testville.gpkg"
layer = "barriers"
TOML
tty val "$ut" validate "$sc"
has_bar "$tmp/val.tty" "urbantwin validate"
"$ut" validate "$sc" > "$tmp/v.out" 2> "$tmp/v.err"
no_bar "$tmp/v.err"; grep -q ": valid\." "$tmp/v.out" || fail "validate: no summary"
"$ut" validate "$sc" --progress > /dev/null 2> "$tmp/v.err"; has_bar "$tmp/v.err" "urbantwin validate"
quiet validate "$ut" validate "$sc" -q
"$ut" validate "$sc" --json > "$tmp/v.json"
[ "$(json "$tmp/v.json" "j['valid']")" = True ] || fail "validate --json: not valid"
[ "$(json "$tmp/v.json" "j['counts']['parcels']")" = "$(sqlite3 "$tmp/city/testville.gpkg" 'select count(*) from parcels')" ] ||
  fail "validate --json: parcels differ from the layer's"
# An error under --json: exit 2, the message on stderr, {"error": ...} on stdout.
set +e; "$ut" validate "$tmp/none.toml" --json > "$tmp/ve.json" 2> "$tmp/ve.err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "none.toml" "$tmp/ve.err" || fail "validate --json of a missing file: exit $rc, $(cat "$tmp/ve.err")"
[ "$(json "$tmp/ve.json" "(j['valid'], j['error']['exit_code'], 'none.toml' in j['error']['message'])")" = "(False, 2, True)" ] ||
  fail "validate --json of a missing file: $(cat "$tmp/ve.json")"

# --- run --------------------------------------------------------------------------------------
tty run "$ut" run "$sc" --until 2025 --out "$tmp/r1"
has_bar "$tmp/run.tty" "urbantwin run"
grep -qa "2025 (2/2) " "$tmp/run.tty" || fail "the run's bar does not show the simulated year"
grep -qa "residents in 2025" "$tmp/run.tty" || fail "run on a terminal: no summary"
"$ut" run "$sc" --until 2025 --out "$tmp/r2" > "$tmp/r2.out" 2> "$tmp/r2.err"
no_bar "$tmp/r2.err"; no_bar "$tmp/r2.out"; grep -q "residents in 2025" "$tmp/r2.out" || fail "run: no summary"
"$ut" run "$sc" --until 2025 --out "$tmp/r3" --progress > "$tmp/r3.out" 2> "$tmp/r3.err"
has_bar "$tmp/r3.err" "urbantwin run"; no_bar "$tmp/r3.out"
quiet run "$ut" run "$sc" --until 2025 --out "$tmp/r4" -q
"$ut" run "$sc" --until 2025 --out "$tmp/r5" --json --progress > "$tmp/r5.json" 2> "$tmp/r5.err"
[ ! -s "$tmp/r5.err" ] || fail "run --json --progress wrote on stderr: $(head -c 200 "$tmp/r5.err")"
"$py" - "$tmp/r5.json" "$tmp/r5/indicators.csv" "$tmp/r5" <<'PY' || fail "run --json does not match the run directory"
import csv, json, sys
j = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
last = rows[-1]
assert j["out"] == sys.argv[3], j["out"]
assert (j["scenario"], j["seed"], j["base_year"], j["final_year"], j["years"]) == ("testville-baseline", 7, 2024, 2025, 2), j
assert int(last["year"]) == 2025
names = [n for n in rows[0].keys() if n != "year"]
assert list(j["indicators"].keys()) == names, (list(j["indicators"].keys()), names)
for n in names:
    v, cell = j["indicators"][n], last[n]
    assert (v is None) == (cell == ""), (n, v, cell)
    assert v is None or v == float(cell), (n, v, cell)
assert j["indicators"]["population"] == int(last["population"]) and j["indicators"]["population"] > 0
assert isinstance(j["warnings"], list) and "load" in j["phase_seconds"]
PY
# timings.json's memory record: a peak, and a rise for every timed phase; the simulation's phases,
# the year ends and the final layers run one after another, so their rises cannot add up to more
# than the peak.
"$py" - "$tmp/r5/timings.json" <<'PY' || fail "timings.json's memory record is wrong"
import json, sys
t = json.load(open(sys.argv[1]))
peak, rise, sec = t["peak_rss_mib"], t["phase_peak_rss_added_mib"], t["phase_seconds"]
assert peak > 0, peak
assert set(rise) == set(sec), (sorted(rise), sorted(sec))
assert all(v >= 0 for v in rise.values()), rise
assert 0 < rise["load"] <= peak, (rise["load"], peak)
sim = [k for k in rise if not k.startswith("write_")] + ["write_years", "write_gpkg"]
assert sum(rise[k] for k in sim) <= peak + 0.1 * len(sim), (sum(rise[k] for k in sim), peak)
PY
# The scenario copy and the commit in manifest.json.
cmp "$tmp/r1/scenario.original.toml" "$sc" || fail "the run directory's scenario.original.toml differs from the scenario file"
sha=$(sha256sum "$sc" | cut -d' ' -f1)
[ "$(json "$tmp/r1/manifest.json" "(j['scenario_copy']['sha256'], 'scenario.original.toml' in j['outputs'])")" = "('$sha', True)" ] ||
  fail "manifest.json's scenario_copy: $(json "$tmp/r1/manifest.json" "j['scenario_copy']")"
mc=$(json "$tmp/r1/manifest.json" "j['commit']")
[ "${mc%-dirty}" = "${want/unknown/None}" ] || fail "manifest.json's commit is $mc, expected $want"
[ "$mc" = "${mc%-dirty}" ] || [ -n "$dirty" ] || fail "manifest.json's commit is $mc, the source tree is clean"
# A second run on the same output: exit 2 before any work, the first run byte-identical.
kept run "$tmp/r1" "$ut" run "$sc" --until 2025 --out "$tmp/r1"
"$ut" run "$sc" --until 2025 --out "$tmp/r1" --overwrite -q || fail "run --overwrite"

# --- compare ----------------------------------------------------------------------------------
"$ut" run "$sc" --until 2025 --seed 8 --out "$tmp/r6" -q
tty cmp "$ut" compare "$tmp/r1" "$tmp/r6" --out "$tmp/c1"
has_bar "$tmp/cmp.tty" "urbantwin compare"
"$ut" compare "$tmp/r1" "$tmp/r6" --out "$tmp/c2" > "$tmp/c2.out" 2> "$tmp/c2.err"
no_bar "$tmp/c2.err"; grep -q "indicators unchanged" "$tmp/c2.out" || fail "compare: no summary"
"$ut" compare "$tmp/r1" "$tmp/r6" --out "$tmp/c3" --progress > /dev/null 2> "$tmp/c3.err"
has_bar "$tmp/c3.err" "urbantwin compare"
quiet compare "$ut" compare "$tmp/r1" "$tmp/r6" --out "$tmp/c4" -q
"$ut" compare "$tmp/r1" "$tmp/r6" --out "$tmp/c5" --json > "$tmp/c5.json"
"$py" - "$tmp/c5.json" "$tmp/c5/indicator_diff.csv" <<'PY' || fail "compare --json does not match indicator_diff.csv"
import csv, json, sys
j = json.load(open(sys.argv[1]))
rows = [r for r in csv.DictReader(open(sys.argv[2])) if r["year"] == "2025"]
assert j["final_year"] == 2025 and rows
changed = 0
for r in rows:
    e = j["indicators"][r["indicator"]]
    for k, col in (("a", "a"), ("b", "b"), ("difference", "diff")):
        cell = r[col]
        assert (e[k] is None) == (cell == ""), (r, e)
        assert e[k] is None or abs(e[k] - float(cell)) <= 5e-7 * max(1, abs(float(cell))), (r, e)
    changed += e["difference"] not in (None, 0)
assert changed > 0, "seeds 7 and 8 give the same final year"
PY
kept compare "$tmp/c1" "$ut" compare "$tmp/r1" "$tmp/r6" --out "$tmp/c1"
"$ut" compare "$tmp/r1" "$tmp/r6" --out "$tmp/c1" --overwrite -q || fail "compare --overwrite"

# --- site-select and report (no --json: their summaries are files) ----------------------------
sel=("$ut" site-select "$sc" --class kindergarten --count 1)
tty sel "${sel[@]}" --out "$tmp/s1"
has_bar "$tmp/sel.tty" "urbantwin site-select"
"${sel[@]}" --out "$tmp/s2" > "$tmp/s2.out" 2> "$tmp/s2.err"
no_bar "$tmp/s2.err"; grep -q "new kindergarten site" "$tmp/s2.out" || fail "site-select: no summary"
"${sel[@]}" --out "$tmp/s3" --progress > /dev/null 2> "$tmp/s3.err"
has_bar "$tmp/s3.err" "urbantwin site-select"
quiet site-select "${sel[@]}" --out "$tmp/s4" -q
kept site-select "$tmp/s1" "${sel[@]}" --out "$tmp/s1"
quiet report "$ut" report "$tmp/r1" --out "$tmp/rep1.html" -q
[ -s "$tmp/rep1.html" ] || fail "report -q wrote no report"
mkdir "$tmp/rep" && cp "$tmp/rep1.html" "$tmp/rep/r.html"
kept report "$tmp/rep" "$ut" report "$tmp/r1" --out "$tmp/rep/r.html"

# --- batch ------------------------------------------------------------------------------------
cat > "$tmp/study.toml" <<TOML
name = "tiny"
scenarios = ["$sc"]
seeds = 2
keep = "indicators"
until = 2025
TOML
tty bat "$ut" batch "$tmp/study.toml" --out "$tmp/b1" --jobs 1
has_bar "$tmp/bat.tty" "urbantwin batch"
grep -qa "wrote study.json" "$tmp/bat.tty" || fail "batch on a terminal: no summary"
"$ut" batch "$tmp/study.toml" --out "$tmp/b2" --jobs 1 > "$tmp/b2.out" 2> "$tmp/b2.err"
no_bar "$tmp/b2.err"; grep -q "wrote study.json" "$tmp/b2.out" || fail "batch: no summary"
grep -q "2 runs: 0 done, 0 failed earlier, 2 to run" "$tmp/b2.err" || fail "batch: no log lines without a terminal"
"$ut" batch "$tmp/study.toml" --out "$tmp/b3" --jobs 1 --progress > /dev/null 2> "$tmp/b3.err"
has_bar "$tmp/b3.err" "urbantwin batch"
quiet batch "$ut" batch "$tmp/study.toml" --out "$tmp/b4" --jobs 1 -q
"$ut" batch "$tmp/study.toml" --out "$tmp/b5" --jobs 1 --json > "$tmp/b5.json" 2> "$tmp/b5.err"
[ ! -s "$tmp/b5.err" ] || fail "batch --json wrote on stderr: $(cat "$tmp/b5.err")"
[ "$(json "$tmp/b5.json" "(j['runs'], j['done'], j['failed'], j['missing'], j['skipped'], j['out'])")" = "(2, 2, 0, 0, 0, '$tmp/b5')" ] ||
  fail "batch --json: $(cat "$tmp/b5.json")"
for t in $(json "$tmp/b5.json" "' '.join(j['tables'])"); do [ -s "$tmp/b5/$t" ] || fail "batch --json lists $t, not written"; done
# A study folder is resumed by design (docs/batch.md): the rerun skips both runs.
"$ut" batch "$tmp/study.toml" --out "$tmp/b5" --jobs 1 --json > "$tmp/b6.json"
[ "$(json "$tmp/b6.json" "(j['done'], j['skipped'])")" = "(2, 2)" ] || fail "batch rerun --json: $(cat "$tmp/b6.json")"

# --- assign -----------------------------------------------------------------------------------
asg=("$ut" assign --net "$tntp/braess_net.txt" --trips "$tntp/braess_trips.txt" --gap 1e-9)
tty asg "${asg[@]}" --flows-out "$tmp/f1.txt"
has_bar "$tmp/asg.tty" "urbantwin assign"
"${asg[@]}" --flows-out "$tmp/f2.txt" > "$tmp/a2.out" 2> "$tmp/a2.err"
no_bar "$tmp/a2.err"; grep -q "relative gap" "$tmp/a2.out" || fail "assign: no summary"
"${asg[@]}" --progress > /dev/null 2> "$tmp/a3.err"; has_bar "$tmp/a3.err" "urbantwin assign"
quiet assign "${asg[@]}" -q
"${asg[@]}" --json > "$tmp/a5.json"
[ "$(json "$tmp/a5.json" "(j['network'] != '', j['relative_gap'] <= 1e-9, j['iterations'] >= 1)")" = "(True, True, True)" ] ||
  fail "assign --json: $(cat "$tmp/a5.json")"
kept assign "$tmp/f1.txt" "${asg[@]}" --flows-out "$tmp/f1.txt"
"${asg[@]}" --flows-out "$tmp/f1.txt" --overwrite -q || fail "assign --overwrite"

echo "conventions: progress bars, --json, -q, --version ($want${dirty:+, dirty: $dirty}), --overwrite and the scenario copy on every subcommand"
