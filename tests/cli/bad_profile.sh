#!/usr/bin/env bash
# A scenario whose city profile is bad: `urbantwin run` exits 2 with one line on stderr naming
# the profile file and the key (or the scenario file and its `profile` key), and writes nothing.
# Each case is the bundled Chengdu profile with one line changed; then each bad standards file of
# tests/data/bad_norms (its "# expect:" line the text the message must hold) named by the profile's
# [norms] table: the message names that file.
set -uo pipefail
ut=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# The bundled profile, its standards file named by its absolute path (the copy lies elsewhere).
profile=$tmp/chengdu.toml
sed -e "s|^file = \"\.\./norms/|file = \"$src/gis-data/norms/|" "$src/gis-data/chengdu-center/profile.toml" > "$profile"
grep -q "^file = \"$src/gis-data/norms/gb50180-2018.toml\"$" "$profile" || { echo "FAIL: the Chengdu profile names no standards file"; exit 1; }
failed=0 n=0
# The baseline scenario with absolute layer paths and the profile next to it.
sed -e "s|\.\./\.\./gis-data/chengdu-center/chengdu-center.gpkg|$src/gis-data/chengdu-center/chengdu-center.gpkg|" \
    -e 's|^profile = .*|profile = "city.toml"|' "$src/scenarios/chengdu-center/baseline.toml" > "$tmp/scenario.toml"
grep -q '^profile = "city.toml"$' "$tmp/scenario.toml" || { echo "FAIL: the baseline names no profile"; exit 1; }

# case NAME SED-EXPRESSION FILE-IN-MESSAGE EXPECTED-TEXT...
case_() {
  local name=$1 expr=$2 file=$3; shift 3
  n=$((n + 1))
  sed -e "$expr" "$profile" > "$tmp/city.toml"
  cmp -s "$profile" "$tmp/city.toml" && { echo "FAIL $name: the sed expression changed nothing"; failed=$((failed + 1)); return; }
  rm -rf "$tmp/run"
  "$ut" run "$tmp/scenario.toml" --out "$tmp/run" >"$tmp/out" 2>"$tmp/err"
  local rc=$? problem=""
  [ $rc -eq 2 ] || problem="exit code $rc, expected 2"
  [ -z "$problem" ] && ! grep -qF -- "$file" "$tmp/err" && problem="message names no $file"
  for t in "$@"; do [ -z "$problem" ] && ! grep -qF -- "$t" "$tmp/err" && problem="message lacks '$t'"; done
  [ -z "$problem" ] && [ "$(wc -l < "$tmp/err")" != 1 ] && problem="stderr holds $(wc -l < "$tmp/err") lines"
  [ -z "$problem" ] && [ -e "$tmp/run" ] && problem="a run directory was written"
  if [ -n "$problem" ]; then echo "FAIL $name: $problem"; echo "  stderr: $(cat "$tmp/err")"; failed=$((failed + 1))
  else echo "ok   $name: $(cat "$tmp/err")"; fi
}
case_ rate_above_one 's/^fertility = \[0, 0, 0, 0.004,/fertility = [0, 0, 0, 1.5,/' city.toml \
  "key demography.fertility[4]" "must be in [0, 1]" "1.5"
case_ unknown_key 's/^vacancy_pct = 6/vacancy_pc = 6/' city.toml "key housing.vacancy_pc" "did you mean 'vacancy_pct'"
case_ short_array 's/^household_size = \[0.27, /household_size = [/' city.toml \
  "key demography.household_size" "must be an array of 6 numbers" "an array of 5"
case_ missing_source '/^source = "CJJ 37-2012/d' city.toml "key road_capacity." "every number needs a source"
case_ missing_table '/^\[mortality\]/,/^source = "Gompertz/d' city.toml "key mortality" "required table is missing"
case_ table_typo 's/^\[mortality\]/[mortality_table]/' city.toml "key mortality_table" "did you mean 'mortality'"
case_ road_class_typo 's/^primary = 1200/primray = 1200/' city.toml "key road_capacity.primray" "did you mean 'primary'"
case_ compliance_indicator_typo 's/^indicator = "park_m2_per_capita"/indicator = "park_m2_per_capta"/' city.toml \
  "key compliance[10].indicator" "did you mean 'park_m2_per_capita'?" "park_m2_per_capta"
case_ compliance_op 's/^op = ">"$/op = "=>"/' city.toml "key compliance[" ".op" "must be one of" "=>"
# The planning norms: the profile must name a standards file that is there; its own overrides
# name a class of that file and give a source for every figure.
case_ no_norms_table '/^\[norms\]$/d; /^file = /d' city.toml "key norms" "required table is missing" "[norms] file ="
case_ norms_file_missing 's|/gb50180-2018.toml"|/gb50180-2019.toml"|' city.toml "key norms.file" "must name an existing file" "gb50180-2019.toml"
case_ norms_class_typo 's|^file = .*|&\n[norms.kindergarden]\nradius_m = 250\nsource = "a local rule"|' city.toml \
  "key norms.kindergarden" "did you mean 'kindergarten'?"
case_ norms_override_without_source 's|^file = .*|&\n[norms.kindergarten]\nradius_m = 250|' city.toml \
  "key norms.kindergarten.radius_m" "every figure needs a source"
case_ norms_override_out_of_range 's|^file = .*|&\n[norms.park]\nradius_m = 0\nsource = "a local rule"|' city.toml \
  "key norms.park.radius_m" "must be in [1, 20000]"
case_ norms_override_capacity 's|^file = .*|&\n[norms.health]\ndefault_capacity = 1\nsource = "a local rule"|' city.toml \
  "key norms.health.default_capacity" "[facility_capacity]"
for f in "$src"/tests/data/bad_norms/*.toml; do
  expect=$(sed -n '1s/^# expect: //p' "$f")
  case_ "bad_norms/$(basename "$f")" "s|^file = .*|file = \"$f\"|" "$(basename "$f")" "$expect"
done
# The scenario names a profile that is not there: the scenario file and its key.
n=$((n + 1))
rm -f "$tmp/city.toml"
"$ut" run "$tmp/scenario.toml" --out "$tmp/run" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && grep -qF "scenario.toml" "$tmp/err" && grep -qF "key profile" "$tmp/err" && grep -qF "must name an existing file" "$tmp/err"; then
  echo "ok   missing_profile: $(cat "$tmp/err")"
else
  echo "FAIL missing_profile: exit $rc: $(cat "$tmp/err")"; failed=$((failed + 1))
fi
echo "$((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
