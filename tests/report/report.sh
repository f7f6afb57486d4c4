#!/usr/bin/env bash
# `urbantwin report` (docs/report.md) on a short Chengdu run and a tiny study: the report opens in
# headless Chromium without console errors, every chart is drawn, each compliance table equals its
# run's compliance.csv, the PDF has one page per section; strings from inputs are escaped; the
# output rules (an earlier report kept without --overwrite, a directory that is not a run or a
# study refused) and a missing Chart.js or Chromium (exit 1, naming it).
# Needs Debian's chromium, chromium-driver, python3-selenium, poppler-utils and libjs-chart.js
# (scripts/setup --test); exits 77 (skipped) only when one of them is absent.
# UT_REPORT_SCREENSHOT=FILE saves a screenshot of the charts (docs/img/report.png).
set -uo pipefail
ut=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
for t in chromium chromedriver pdfinfo; do command -v $t >/dev/null || { echo "skipped: $t is not installed (scripts/setup --test)"; exit 77; }; done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || { echo "skipped: python3-selenium is not installed (scripts/setup --test)"; exit 77; }
[ -r /usr/share/javascript/chart.js/chart.min.js ] || { echo "skipped: libjs-chart.js is not installed (scripts/setup)"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
sc=$src/scenarios/chengdu-center

"$ut" run "$sc/baseline.toml" --until 2025 --keep indicators --out "$tmp/base" --quiet || fail "run"
cat > "$tmp/study.toml" <<TOML
name = "tiny"
scenarios = ["$sc/baseline.toml", "$sc/whatif-community-services.toml"]
reference = "chengdu-center-baseline"
seeds = 2
keep = "indicators"
until = 2026
[set]
traffic.enabled = false
TOML
"$ut" batch "$tmp/study.toml" --out "$tmp/study" --jobs 2 --quiet || fail "batch"
# A run directory whose path holds markup: shown escaped, never as markup.
evil="$tmp/<b>x&y"
cp -r "$tmp/base" "$evil"

"$ut" report "$tmp/base" "$tmp/study" "$evil" --out "$tmp/out/report.html" --pdf >"$tmp/stdout" 2>"$tmp/err" \
  || fail "report exited $?: $(cat "$tmp/err")"
sections=$(grep -c '^<section ' "$tmp/out/report.html")
grep -q "($sections sections)" "$tmp/stdout" || fail "stdout does not give $sections sections: $(head -1 "$tmp/stdout")"
pages=$(pdfinfo "$tmp/out/report.pdf" | awk '/^Pages:/ {print $2}')
[ "$pages" = "$sections" ] || fail "the PDF has $pages pages for $sections sections"
grep -qF "&lt;b&gt;x&amp;y" "$tmp/out/report.html" || fail "the path with markup is not shown escaped"
grep -qF "<b>x" "$tmp/out/report.html" && fail "markup from an input path reached the HTML"
grep -qF '© OpenStreetMap contributors' "$tmp/out/report.html" || fail "no attribution"
grep -qF "differ partly by chance, and this report gives no interval" "$tmp/out/report.html" ||
  fail "single runs side by side without the note that their differences carry no interval"
grep -qE "<td>run, 2024-2025, seed [0-9]+</td>" "$tmp/out/report.html" || fail "a run's seed is not shown"
grep -q 'src="http\|href="http\|<script src=' "$tmp/out/report.html" && fail "the report loads something from outside"
echo "ok   report: $sections sections, PDF $pages pages"

/usr/bin/python3 "$here/check_report.py" "$tmp/out/report.html" "${UT_REPORT_SCREENSHOT:-}" || fail "browser check"

# Output safety: an earlier report is kept unless --overwrite; the report never lands on an input.
before=$(md5sum < "$tmp/out/report.html")
"$ut" report "$tmp/base" --out "$tmp/out/report.html" --quiet 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && [ "$(md5sum < "$tmp/out/report.html")" = "$before" ] && grep -q "overwrite" "$tmp/err" \
  || fail "an existing report without --overwrite: exit $rc, $(cat "$tmp/err")"
"$ut" report "$tmp/base" --out "$tmp/out/report.html" --overwrite --quiet || fail "--overwrite refused"
[ "$(md5sum < "$tmp/out/report.html")" != "$before" ] || fail "--overwrite did not replace the report"
"$ut" report "$tmp/base" --out "$tmp/base/report.html" --quiet 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && [ ! -e "$tmp/base/report.html" ] || fail "a report inside an input run: exit $rc"
echo "ok   output safety"

# Bad input: a directory that is neither a run nor a study, and one that does not exist.
mkdir "$tmp/plain"
"$ut" report "$tmp/plain" --out "$tmp/x.html" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -qF "$tmp/plain" "$tmp/err" && grep -q "run directory (manifest.json) or a study directory" "$tmp/err" && [ ! -e "$tmp/x.html" ] \
  || fail "a plain folder: exit $rc, $(cat "$tmp/err")"
"$ut" report "$tmp/nowhere" --out "$tmp/x.html" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -qF "$tmp/nowhere" "$tmp/err" || fail "a missing folder: exit $rc, $(cat "$tmp/err")"
echo "ok   bad inputs: $(head -1 "$tmp/err")"

# A missing installation: exit 1 naming what is missing, nothing written.
UT_CHART_JS=$tmp/none/chart.min.js "$ut" report "$tmp/base" --out "$tmp/y.html" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -qF "$tmp/none/chart.min.js" "$tmp/err" && grep -q libjs-chart.js "$tmp/err" && [ ! -e "$tmp/y.html" ] \
  || fail "missing Chart.js: exit $rc, $(cat "$tmp/err")"
UT_CHROMIUM=$tmp/none/chromium "$ut" report "$tmp/base" --out "$tmp/y.html" --pdf 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -qF "$tmp/none/chromium" "$tmp/err" && [ ! -e "$tmp/y.html" ] || fail "missing Chromium: exit $rc, $(cat "$tmp/err")"
echo "ok   missing installations: $(cat "$tmp/err")"
