#!/usr/bin/env bash
# Bad TNTP inputs (tests/data/tntp_format/bad, cases listed in EXPECT): `urbantwin assign` must exit 2
# with a message naming the culprit file and containing the expected text (a line number where the
# problem sits on one; fragments separated by ' | ' must all appear); an earlier flows file must
# survive untouched (even with --overwrite) and no temporary be left. Then bad numeric options.
set -uo pipefail
ut=$1 dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=0 n=0
while read -r name which expect; do
  case "$name" in ''|'#'*) continue;; esac
  n=$((n + 1))
  echo "earlier flows" > "$tmp/flows.txt"
  "$ut" assign --net "$dir/${name}_net.txt" --trips "$dir/${name}_trips.txt" --flows-out "$tmp/flows.txt" --overwrite \
    >"$tmp/out" 2>"$tmp/err"
  rc=$?
  problem=""
  [ $rc -eq 2 ] || problem="exit code $rc, expected 2"
  rest=$expect
  while [ -z "$problem" ] && [ -n "$rest" ]; do
    fragment=${rest%% | *}
    [ "$fragment" = "$rest" ] && rest="" || rest=${rest#* | }
    grep -qF -- "$fragment" "$tmp/err" || problem="message lacks '$fragment'"
  done
  [ -z "$problem" ] && ! grep -qF "${name}_${which}.txt" "$tmp/err" && problem="message does not name ${name}_${which}.txt"
  [ -z "$problem" ] && [ "$(cat "$tmp/flows.txt")" != "earlier flows" ] && problem="earlier flows file damaged"
  [ -z "$problem" ] && [ "$(ls -A "$tmp" | grep -vc '^\(flows.txt\|out\|err\)$')" != 0 ] && problem="temporary file left behind"
  if [ -n "$problem" ]; then
    echo "FAIL $name: $problem"; echo "  stderr: $(cat "$tmp/err")"; failed=$((failed + 1))
  else
    echo "ok   $name: $(cat "$tmp/err")"
  fi
done < "$dir/EXPECT"

# Numeric options: nan, inf and out-of-range values exit 2 with one readable message naming the
# option (CLI11 refuses some before cmd_assign sees them; cmd_assign checks every one again).
while IFS='|' read -r args expect; do
  n=$((n + 1))
  echo "earlier flows" > "$tmp/flows.txt"
  # shellcheck disable=SC2086
  "$ut" assign --net "$dir/../braess_net.txt" --trips "$dir/../braess_trips.txt" $args --flows-out "$tmp/flows.txt" \
    --overwrite >"$tmp/out" 2>"$tmp/err"
  rc=$?
  problem=""
  [ $rc -eq 2 ] || problem="exit code $rc, expected 2"
  [ -z "$problem" ] && ! grep -qF -- "$expect" "$tmp/err" && problem="message lacks '$expect'"
  [ -z "$problem" ] && [ "$(cat "$tmp/flows.txt")" != "earlier flows" ] && problem="earlier flows file damaged"
  if [ -n "$problem" ]; then
    echo "FAIL assign $args: $problem"; echo "  stderr: $(cat "$tmp/err")"; failed=$((failed + 1))
  else
    echo "ok   assign $args: $(head -n 1 "$tmp/err")"
  fi
done <<'EOF'
--gap nan|--gap: must be a number greater than 0 and at most 1 (got nan)
--gap 2|--gap: must be a number greater than 0 and at most 1 (got 2)
--gap -1|--gap
--gap inf|--gap
--toll-factor nan|--toll-factor: must be a number between 0 and 1e6 (got nan)
--toll-factor inf|--toll-factor
--toll-factor 1e7|--toll-factor: must be a number between 0 and 1e6 (got 10000000)
--distance-factor nan|--distance-factor: must be a number between 0 and 1e6 (got nan)
--distance-factor 1e308|--distance-factor: must be a number between 0 and 1e6 (got 1e+308)
--max-iter nan|--max-iter
--max-iter 2.5|--max-iter
--max-iter 0|--max-iter
--flow-batch 257|--flow-batch
--flow-batch -1|--flow-batch
--flow-batch 2.5|--flow-batch
--threads 0|--threads
EOF
echo "$((n - failed)) passed, $failed failed"
[ $n -gt 0 ] && [ $failed -eq 0 ]
