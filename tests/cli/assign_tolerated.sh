#!/usr/bin/env bash
# Tolerated TNTP inputs (tests/data/tntp_format/tolerated, cases listed in EXPECT): what public files
# hold and tap-b solves. `urbantwin assign` must exit 0 with the expected warning on stderr (the whole
# line, `urbantwin: warning: FILE: TEXT`), the same text in --json "warnings", reach the gap and write
# one flow row per kept link, leaving no temporary; --quiet prints nothing. With --strict the warning
# is an error: exit 2, the expected message, the earlier flows file untouched (skipped, and said so,
# while the command line has no --strict).
set -uo pipefail
ut=$1 dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=0 n=0
has_strict=0
"$ut" assign --help 2>/dev/null | grep -q -- '--strict' && has_strict=1
while read -r name which links rest; do
  case "$name" in ''|'#'*) continue;; esac
  n=$((n + 1))
  net="$dir/${name}_net.txt" trips="$dir/${name}_trips.txt" file="$dir/${name}_${which}.txt"
  warning=${rest%% || *} strict=${rest#* || }
  warning=${warning//\{net\}/$net} strict=${strict//\{net\}/$net}
  problem=""
  rm -f "$tmp/flows.txt"
  "$ut" assign --net "$net" --trips "$trips" --gap 1e-9 --flows-out "$tmp/flows.txt" --json >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [ $rc -eq 0 ] || problem="exit code $rc, expected 0"
  [ -z "$problem" ] && ! grep -qxF -- "urbantwin: warning: $file: $warning" "$tmp/err" && problem="stderr lacks the warning"
  [ -z "$problem" ] && [ "$(grep -c . "$tmp/err")" != 1 ] && problem="stderr has more than the one warning"
  [ -z "$problem" ] && ! grep -qF -- "\"$file: $warning\"" "$tmp/out" && problem="--json \"warnings\" lacks the warning"
  gap=$(sed -n 's/^ *"relative_gap": \(.*\),$/\1/p' "$tmp/out")
  [ -z "$problem" ] && ! awk -v g="$gap" 'BEGIN { exit !(g != "" && g + 0 <= 1e-9) }' && problem="relative gap '$gap' above 1e-9"
  [ -z "$problem" ] && [ "$(tail -n +2 "$tmp/flows.txt" | grep -c .)" != "$links" ] && problem="flows file has not $links rows"
  [ -z "$problem" ] && [ "$(ls -A "$tmp" | grep -vc '^\(flows.txt\|out\|err\)$')" != 0 ] && problem="temporary file left behind"
  if [ -z "$problem" ]; then
    "$ut" assign --net "$net" --trips "$trips" --quiet >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] || problem="--quiet: exit code $rc"
    [ -z "$problem" ] && [ -s "$tmp/out" -o -s "$tmp/err" ] && problem="--quiet printed something"
  fi
  if [ -z "$problem" ] && [ $has_strict = 1 ]; then
    echo "earlier flows" > "$tmp/flows.txt"
    "$ut" assign --net "$net" --trips "$trips" --strict --flows-out "$tmp/flows.txt" --overwrite >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 2 ] || problem="--strict: exit code $rc, expected 2"
    [ -z "$problem" ] && ! grep -qF -- "urbantwin: error: $file: $strict" "$tmp/err" && problem="--strict: message lacks '$strict'"
    [ -z "$problem" ] && [ "$(cat "$tmp/flows.txt")" != "earlier flows" ] && problem="--strict: earlier flows file damaged"
  fi
  if [ -n "$problem" ]; then
    echo "FAIL $name: $problem"; echo "  stderr: $(cat "$tmp/err")"; failed=$((failed + 1))
  else
    echo "ok   $name: urbantwin: warning: $file: $warning"
  fi
done < "$dir/EXPECT"
[ $has_strict = 1 ] || echo "SKIP the --strict checks: 'urbantwin assign --help' has no --strict yet"
echo "$((n - failed)) passed, $failed failed"
[ $n -gt 0 ] && [ $failed -eq 0 ]
