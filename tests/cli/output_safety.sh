#!/usr/bin/env bash
# Output safety (docs/conventions.md): outputs never replace what is not ours, never an input,
# never half-way. Fault tests: failing writes of each file (LD_PRELOAD shim), kill -9 at the
# instant of the commit and at random instants, a full file system, a read-only output folder,
# two commands writing one output. After each: exit 2 (or the kill), earlier outputs and inputs
# byte-identical, nothing temporary left behind once the next command has run.
# Usage: output_safety.sh URBANTWIN SHIM.so SOURCE_DIR
set -uo pipefail
ut=$1 shim=$2 src=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
sc=$src/scenarios/chengdu-center/baseline.toml
failed=0 n=0
ok() { n=$((n + 1)); echo "ok   $1"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); echo "FAIL $1"; [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -5; }
# A one-year run (THREADS=1 for one thread); new: the same from a copy of the scenario, so its
# manifest differs (a new output is told from the earlier one by its inputs' paths).
run() { "$ut" run "$sc" --until 2024 --threads "${THREADS:-2}" --quiet "$@"; }
new() { "$ut" run "$tmp/in/s.toml" --until 2024 --threads 2 --quiet "$@"; }
is_new() { grep -q 'in/s.toml' "$1/manifest.json" 2>/dev/null && [ -s "$1/outputs.gpkg" ] && [ -s "$1/indicators.csv" ]; }
# sha256 of every file under DIR (names and contents): "byte-identical" means equal sums.
sums() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum) 2>/dev/null | sha256sum; }
# expect NAME RC TEXT: the last command's exit code and message.
expect() {
  local name=$1 want=$2 text=$3 rc=$4
  if [ "$rc" != "$want" ]; then bad "$name: exit $rc, expected $want"; return 1; fi
  if [ -n "$text" ] && ! grep -qF -- "$text" "$tmp/err"; then bad "$name: message lacks '$text'"; return 1; fi
  return 0
}
leftovers() { ls -A "$1" | grep -E '\.tmp-|\.old-|\.lock$' || true; }

# --- two identical runs (1 and 2 threads): byte-identical files, timings apart -----------------
run --out "$tmp/r1" 2>"$tmp/err" && THREADS=1 run --out "$tmp/same" 2>"$tmp/err" || bad "first runs failed"
same=1
for f in manifest.json indicators.csv outputs.gpkg ATTRIBUTION.txt; do
  cmp -s "$tmp/r1/$f" "$tmp/same/$f" || { same=0; bad "identical runs: $f differs"; }
done
[ $same = 1 ] && ok "two runs with 1 and 2 threads: manifest.json, indicators.csv, outputs.gpkg, ATTRIBUTION.txt byte-identical"
old=$(sums "$tmp/r1")

# --- outputs that are not ours, or inputs ---------------------------------------------------------
echo precious > "$tmp/file"
run --out "$tmp/file" 2>"$tmp/err"; rc=$?
expect "--out an existing file" 2 "not a folder" $rc && [ "$(cat "$tmp/file")" = precious ] && ok "--out an existing regular file: refused, file intact"

mkdir -p "$tmp/in" "$tmp/profile"
cp "$src/gis-data/chengdu-center/chengdu-center.gpkg" "$tmp/in/city.gpkg"
cp "$src/gis-data/chengdu-center/profile.toml" "$tmp/profile/city.toml"
mkdir -p "$tmp/norms" && cp "$src/gis-data/norms/gb50180-2018.toml" "$tmp/norms/"  # the profile's [norms] file
sed -e 's#\.\./\.\./gis-data/chengdu-center/chengdu-center\.gpkg#city.gpkg#' \
    -e 's#^profile = .*#profile = "../profile/city.toml"#' "$sc" > "$tmp/in/s.toml"
insum=$(sums "$tmp/in")
"$ut" run "$tmp/in/s.toml" --out "$tmp/in" --overwrite --until 2024 --quiet 2>"$tmp/err"; rc=$?
expect "--out the input folder" 2 "must not contain an input" $rc && [ "$(sums "$tmp/in")" = "$insum" ] && ok "--out the folder holding the inputs: refused, inputs intact"
"$ut" run "$tmp/in/s.toml" --out "$tmp/in/city.gpkg" --overwrite --until 2024 --quiet 2>"$tmp/err"; rc=$?
expect "--out an input file" 2 "must not" $rc && [ "$(sums "$tmp/in")" = "$insum" ] && ok "--out the input GeoPackage: refused, input intact"
# The city profile is an input too (role "profile" in the manifest).
profsum=$(sums "$tmp/profile")
"$ut" run "$tmp/in/s.toml" --out "$tmp/profile" --overwrite --until 2024 --quiet 2>"$tmp/err"; rc=$?
expect "--out the profile's folder" 2 "must not contain an input" $rc && [ "$(sums "$tmp/profile")" = "$profsum" ] && ok "--out the folder holding the city profile: refused, profile intact"
# So is the profile's standards file (role "norms").
normsum=$(sums "$tmp/norms")
"$ut" run "$tmp/in/s.toml" --out "$tmp/norms" --overwrite --until 2024 --quiet 2>"$tmp/err"; rc=$?
expect "--out the norms folder" 2 "must not contain an input" $rc && [ "$(sums "$tmp/norms")" = "$normsum" ] && ok "--out the folder holding the standards file: refused, file intact"

mkdir -p "$tmp/theirs" && echo mine > "$tmp/theirs/notes.txt"
run --out "$tmp/theirs" --overwrite 2>"$tmp/err"; rc=$?
expect "--out someone's folder" 2 "not an earlier output of urbantwin run" $rc && [ "$(ls "$tmp/theirs")" = notes.txt ] && ok "--out a folder that is not a run: refused even with --overwrite"

run --out "$tmp/r1" 2>"$tmp/err"; rc=$?
expect "no --overwrite" 2 "pass --overwrite" $rc && [ "$(sums "$tmp/r1")" = "$old" ] && ok "an earlier run is kept without --overwrite"

"$ut" compare "$tmp/r1" "$tmp/same" --out "$tmp/r1" --overwrite --quiet 2>"$tmp/err"; rc=$?
expect "compare --out A" 2 "must not" $rc && [ "$(sums "$tmp/r1")" = "$old" ] && ok "compare A B --out A: refused, run A intact"
"$ut" compare "$tmp/r1" "$tmp/same" --out "$tmp/r1/sub" --quiet 2>"$tmp/err"; rc=$?
expect "compare --out inside A" 2 "inside an input folder" $rc && [ "$(sums "$tmp/r1")" = "$old" ] && ok "compare A B --out A/sub: refused, run A intact"

net=$src/tests/data/tntp_format/braess_net.txt trips=$src/tests/data/tntp_format/braess_trips.txt
cp "$net" "$tmp/net.txt"; netsum=$(sha256sum < "$tmp/net.txt")
"$ut" assign --net "$tmp/net.txt" --trips "$trips" --flows-out "$tmp/net.txt" --overwrite --quiet 2>"$tmp/err"; rc=$?
expect "assign --flows-out = --net" 2 "must not be an input" $rc && [ "$(sha256sum < "$tmp/net.txt")" = "$netsum" ] && ok "assign --flows-out equal to --net: refused, network intact"
"$ut" assign --net "$net" --trips "$trips" --flows-out "$tmp/flows.txt" --quiet 2>"$tmp/err" || bad "assign --flows-out"
cp "$tmp/flows.txt" "$tmp/flows.before"
"$ut" assign --net "$net" --trips "$trips" --flows-out "$tmp/flows.txt" --quiet 2>"$tmp/err"; rc=$?
expect "assign existing flows" 2 "pass --overwrite" $rc && cmp -s "$tmp/flows.txt" "$tmp/flows.before" && ok "assign keeps an earlier flows file without --overwrite"

cp "$tmp/file" "$tmp/x.osm"
"$ut" prepare-osm "$tmp/x.osm" --out "$tmp/x.osm" --overwrite 2>"$tmp/err"; rc=$?
expect "prepare-osm --out = input" 2 "must not be an input" $rc && [ "$(cat "$tmp/x.osm")" = precious ] && ok "prepare-osm --out equal to its input: refused, input intact"

run --out "$tmp/r1/.." --overwrite 2>"$tmp/err"; rc=$?
expect "--out ending in .." 2 "not '.' or '..'" $rc && [ "$(sums "$tmp/r1")" = "$old" ] && ok "--out ending in '..': refused before any work"
long=$(printf 'x%.0s' $(seq 300))
run --out "$tmp/$long" 2>"$tmp/err"; rc=$?
expect "--out of 300 characters" 2 "at most 200 characters" $rc && [ -z "$(ls -A "$tmp" | grep xxxx)" ] && ok "--out named with 300 characters: refused before any work"

# --- failing writes (a full disk while writing one file) --------------------------------------------
for f in indicators.csv compliance.csv ATTRIBUTION.txt outputs.gpkg manifest.json timings.json; do
  LD_PRELOAD=$shim UT_FAIL_WRITE=/$f new --out "$tmp/r1" --overwrite 2>"$tmp/err"; rc=$?
  expect "failing write of $f" 2 "$tmp/r1/$f" $rc && [ "$(sums "$tmp/r1")" = "$old" ] && [ -z "$(leftovers "$tmp")" ] \
    && ok "a failing write of $f: exit 2 naming it, earlier run byte-identical, nothing left" \
    || { [ "$(sums "$tmp/r1")" = "$old" ] || bad "failing write of $f damaged the earlier run"; }
done
"$ut" compare "$tmp/r1" "$tmp/same" --out "$tmp/cmp" --quiet 2>"$tmp/err" || bad "compare"
cmpsum=$(sums "$tmp/cmp")
for f in indicator_diff.csv parcel_diff.gpkg manifest.json ATTRIBUTION.txt; do
  LD_PRELOAD=$shim UT_FAIL_WRITE=/$f "$ut" compare "$tmp/same" "$tmp/r1" --out "$tmp/cmp" --overwrite --quiet 2>"$tmp/err"; rc=$?
  expect "compare: failing write of $f" 2 "$f" $rc && [ "$(sums "$tmp/cmp")" = "$cmpsum" ] && [ -z "$(leftovers "$tmp")" ] \
    && ok "compare: a failing write of $f: exit 2, earlier comparison byte-identical"
done
# The flows file is written to a temporary sibling named .flows.txt.tmp-PID: fail every write there.
cat > "$tmp/failflows.sh" <<EOF
#!/usr/bin/env bash
export LD_PRELOAD=$shim UT_FAIL_WRITE=.flows.txt.tmp-\$\$
exec "$ut" assign --net "$net" --trips "$trips" --flows-out "$tmp/flows.txt" --overwrite --quiet
EOF
bash "$tmp/failflows.sh" 2>"$tmp/err"; rc=$?
expect "assign: failing write of flows" 2 "flows.txt" $rc && cmp -s "$tmp/flows.txt" "$tmp/flows.before" && [ -z "$(leftovers "$tmp")" ] \
  && ok "assign: a failing write of --flows-out: exit 2, earlier flows byte-identical"

# --- kill -9 at the instant of the commit, and at random instants ------------------------------------
for when in before after; do
  LD_PRELOAD=$shim UT_KILL_RENAME=$when UT_KILL_TARGET=/r1 new --out "$tmp/r1" --overwrite 2>"$tmp/err"; rc=$?
  now=$(sums "$tmp/r1")
  if [ $rc != 137 ]; then bad "kill $when the commit: exit $rc, expected 137 (SIGKILL)"
  elif [ "$when" = before ] && [ "$now" != "$old" ]; then bad "kill before the commit: earlier run changed"
  elif [ "$when" = after ] && { [ "$now" = "$old" ] || ! is_new "$tmp/r1"; }; then
    bad "kill after the commit: the new run is not complete under the final name"
  else ok "kill -9 $when the commit: the $([ $when = before ] && echo earlier || echo new) run is complete under the final name"; fi
  old=$(sums "$tmp/r1")
done
[ -n "$(leftovers "$tmp")" ] || bad "the killed commit left no temporary (the next test expects one to clean)"
for delay in 0.3 2; do
  "$ut" run "$tmp/in/s.toml" --until 2024 --quiet --out "$tmp/r1" --overwrite 2>"$tmp/err" & pid=$!
  sleep $delay; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  now=$(sums "$tmp/r1")
  if [ "$now" = "$old" ] || is_new "$tmp/r1"; then
    ok "kill -9 after ${delay} s: a complete run under the final name"
  else bad "kill -9 after ${delay} s: half-written run under the final name"; fi
  old=$(sums "$tmp/r1")
done
run --out "$tmp/r1" --overwrite 2>"$tmp/err" || bad "the run after the kills failed"
[ -z "$(leftovers "$tmp")" ] && ok "the next run removed the killed runs' temporaries" || bad "temporaries left: $(leftovers "$tmp")"

LD_PRELOAD=$shim UT_KILL_RENAME=before UT_KILL_TARGET=/cmp "$ut" compare "$tmp/same" "$tmp/r1" --out "$tmp/cmp" --overwrite --quiet 2>"$tmp/err"; rc=$?
[ $rc = 137 ] && [ "$(sums "$tmp/cmp")" = "$cmpsum" ] && ok "compare killed before its commit: earlier comparison intact" || bad "compare killed: exit $rc or comparison changed"

# --- two commands writing one output ----------------------------------------------------------------
old=$(sums "$tmp/r1")
"$ut" run "$sc" --until 2024 --quiet --out "$tmp/r1" --overwrite 2>"$tmp/err1" & p1=$!
sleep 0.5
run --out "$tmp/r1" --overwrite 2>"$tmp/err"; rc2=$?
wait $p1; rc1=$?
expect "two commands at once" 2 "two commands at once" $rc2 && [ $rc1 = 0 ] && [ -s "$tmp/r1/manifest.json" ] && ok "a second command on the same output: exit 2 while the first finishes"

# --- a full file system (a 1 MiB tmpfs in a private mount namespace) ----------------------------------
mkdir -p "$tmp/full"
if unshare -m true 2>/dev/null; then
  unshare -m bash -c "mount -t tmpfs -o size=1m tmpfs '$tmp/full' && '$ut' run '$sc' --until 2024 --quiet --out '$tmp/full/r'; rc=\$?; ls -A '$tmp/full' > '$tmp/full.ls'; exit \$rc" 2>"$tmp/err"; rc=$?
  expect "full file system" 2 "full" $rc && [ ! -s "$tmp/full.ls" ] && ok "a full file system: exit 2 naming the reason, nothing left"
else
  echo "skip a full file system: cannot make a private mount namespace here"
fi

# --- a read-only output folder: refused before the simulation starts -----------------------------------
mkdir -p "$tmp/ro" && chmod 555 "$tmp/ro"
as=()
[ "$(id -u)" = 0 ] && as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
start=$(date +%s%N)
"${as[@]}" "$ut" run "$sc" --until 2035 --quiet --out "$tmp/ro/r" 2>"$tmp/err"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect "read-only folder" 2 "writable" $rc && [ $ms -lt 5000 ] && [ -z "$(ls -A "$tmp/ro")" ] \
  && ok "a read-only output folder: exit 2 after $ms ms (before the simulation)"

echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
