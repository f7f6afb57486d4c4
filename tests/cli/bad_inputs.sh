#!/usr/bin/env bash
# The bad-input corpus: every scenario in DIR must make `urbantwin run` exit 2 with a message that
# names the culprit file and contains the text of its "# expect:" line; no run directory may be
# left behind, and an earlier run directory with the same name must survive untouched.
set -uo pipefail
ut=$1 dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=0 n=0
for f in "$dir"/*.toml; do
  n=$((n + 1))
  name=$(basename "$f")
  expect=$(sed -n '1s/^# expect: //p' "$f")
  # An earlier run directory (recognised by its manifest) that --overwrite would replace.
  rm -rf "$tmp/run" && mkdir -p "$tmp/run" && echo "earlier run" > "$tmp/run/marker"
  echo '{"engine": "urbantwin", "kind": "run"}' > "$tmp/run/manifest.json"
  "$ut" run "$f" --out "$tmp/run" --overwrite >"$tmp/out" 2>"$tmp/err"
  rc=$?
  msg=$(cat "$tmp/err")
  problem=""
  [ $rc -eq 2 ] || problem="exit code $rc, expected 2"
  [ -z "$problem" ] && ! grep -qF -- "$expect" "$tmp/err" && problem="message lacks '$expect'"
  [ -z "$problem" ] && ! grep -qE "$name|\.geojson|\.gpkg|\.csv|\.vrt" "$tmp/err" && problem="message names no file"
  [ -z "$problem" ] && [ "$(wc -l < "$tmp/err")" != 1 ] && problem="stderr holds $(wc -l < "$tmp/err") lines, expected the one message"
  [ -z "$problem" ] && [ "$(cat "$tmp/run/marker" 2>/dev/null)" != "earlier run" ] && problem="earlier run directory damaged"
  [ -z "$problem" ] && [ "$(ls -A "$tmp/run" | tr '\n' ' ')" != "manifest.json marker " ] && problem="earlier run directory changed"
  [ -z "$problem" ] && ls -A "$tmp" | grep -q '\.tmp-\|\.lock$' && problem="temporary run directory or lock left behind"
  if [ -n "$problem" ]; then
    echo "FAIL $name: $problem"; echo "  stderr: $msg"; failed=$((failed + 1))
  else
    echo "ok   $name: $msg"
  fi
done
echo "$((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
