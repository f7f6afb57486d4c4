#!/usr/bin/env bash
# Bad TNTP inputs (tests/data/tntp_format/bad, cases listed in EXPECT): `urbantwin assign` must exit 2
# with a message naming the culprit file and containing the expected text (a line number where the
# problem sits on one); an earlier flows file must survive untouched and no temporary be left.
set -uo pipefail
ut=$1 dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=0 n=0
while read -r name which expect; do
  case "$name" in ''|'#'*) continue;; esac
  n=$((n + 1))
  echo "earlier flows" > "$tmp/flows.txt"
  "$ut" assign --net "$dir/${name}_net.txt" --trips "$dir/${name}_trips.txt" --flows-out "$tmp/flows.txt" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  problem=""
  [ $rc -eq 2 ] || problem="exit code $rc, expected 2"
  [ -z "$problem" ] && ! grep -qF -- "$expect" "$tmp/err" && problem="message lacks '$expect'"
  [ -z "$problem" ] && ! grep -qF "${name}_${which}.txt" "$tmp/err" && problem="message does not name ${name}_${which}.txt"
  [ -z "$problem" ] && [ "$(cat "$tmp/flows.txt")" != "earlier flows" ] && problem="earlier flows file damaged"
  [ -z "$problem" ] && [ "$(ls -A "$tmp" | grep -vc '^\(flows.txt\|out\|err\)$')" != 0 ] && problem="temporary file left behind"
  if [ -n "$problem" ]; then
    echo "FAIL $name: $problem"; echo "  stderr: $(cat "$tmp/err")"; failed=$((failed + 1))
  else
    echo "ok   $name: $(cat "$tmp/err")"
  fi
done < "$dir/EXPECT"
echo "$((n - failed)) passed, $failed failed"
[ $n -gt 0 ] && [ $failed -eq 0 ]
