"""Opens a report in headless Chromium (Selenium): no console errors, every canvas drawn (pixels
that are not transparent), each compliance table equal to its run's compliance.csv."""
import csv, json, os, sys, tempfile
from selenium import webdriver

html, shot = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
opts = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,860"):
    opts.add_argument(a)
opts.add_argument("--user-data-dir=" + tempfile.mkdtemp(prefix="ut-report-chrome-"))
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
d = webdriver.Chrome(options=opts)
fail = []
try:
    d.get("file://" + os.path.abspath(html))
    errors = [e for e in d.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    if errors: fail.append(f"console errors: {errors[:3]}")
    data = json.loads(d.find_element("id", "ut-data").get_attribute("textContent"))
    drawn = d.execute_script("""
      return Array.from(document.querySelectorAll('canvas')).map(c => {
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
        return [c.id, n, Chart.getChart(c) ? 1 : 0]; });""")
    if len(drawn) != len(data["charts"]) or not drawn: fail.append(f"{len(drawn)} canvases for {len(data['charts'])} charts")
    blank = [c for c in drawn if c[1] < 1000 or not c[2]]
    if blank: fail.append(f"charts not drawn: {blank[:5]}")
    tables = d.execute_script("""
      return Array.from(document.querySelectorAll('table.compliance')).map(t => [t.dataset.run,
        Array.from(t.querySelectorAll('td[data-year]')).map(td => [td.dataset.year, td.dataset.row, td.dataset.indicator,
          td.dataset.value, td.dataset.status, td.querySelector('.v').textContent])]);""")
    if not tables: fail.append("no compliance table")
    cells = 0
    for run, tds in tables:
        rows = list(csv.DictReader(open(os.path.join(run, "compliance.csv"), encoding="utf-8")))
        years = sorted({r["year"] for r in rows})
        norms = len(rows) // len(years)
        if len(tds) != len(rows): fail.append(f"{run}: {len(tds)} cells for {len(rows)} rows of compliance.csv")
        for year, row, ind, value, status, text in tds:
            r = rows[years.index(year) * norms + int(row)]
            want_text = "—" if r["value"] == "" else (f"{float(r['value']):.0f}" if abs(float(r["value"])) >= 1000 else f"{float(r['value']):.2f}")
            got, want = (year, ind, value, status, text), (r["year"], r["indicator"], r["value"], r["status"], want_text)
            if got != want: fail.append(f"{run}: cell {got} != compliance.csv {want}")
            cells += 1
    if not fail: print(f"ok   browser: {len(drawn)} charts drawn, no console errors, {len(tables)} compliance tables, {cells} cells equal compliance.csv")
    if shot:
        d.execute_script("document.getElementById('charts-coverage').scrollIntoView()")
        d.save_screenshot(shot)
finally:
    d.quit()
for f in fail: print("FAIL", f)
sys.exit(1 if fail else 0)
