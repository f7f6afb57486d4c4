#!/usr/bin/python3
"""A run's GeoPackage (and a comparison's) opened in QGIS, as a planner would (docs/outputs.md).

Usage: gpkg_in_qgis.py URBANTWIN SOURCE_DIR            the test: a short Chengdu run (2024-2025)
       gpkg_in_qgis.py --picture RUN_DIR OUT.png       render RUN_DIR's parcels layer (docs picture)

Known answers checked:
- GDAL's validate_gpkg.py finds nothing to report (when python3-gdal ships it);
- in a run's, a comparison's, a study's and a study comparison's GeoPackage, every spatial layer
  has a default style in layer_styles and QGIS loads it: the renderer type,
  the classified field and the classes (bounds, colours, labels) are those written in the QML;
- the legends are bilingual (中文 and English);
- parcels_by_year is time-enabled and, filtered as QGIS's temporal controller filters a frame of
  one year, shows exactly that year's parcel_years.csv values (every parcel once, every field equal);
- every layer's metadata has the ODbL credit in its rights; the parcels layer names its year;
- Boolean fields are Booleans; <class>_beyond_bound is false exactly where the distance is
  measured, true where it is not and the class has sites, empty for classes without data;
- the parcels layer rendered to a PNG: at parcels' interior points the pixel has the colour of
  the parcel's class.
Exit 77 (skipped) when QGIS's Python bindings are absent.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
try:
    from qgis.core import (QgsApplication, QgsVectorLayer, QgsMapSettings, QgsMapRendererParallelJob,
                           QgsDateTimeRange, QgsVectorLayerTemporalContext, QgsVectorLayerTemporalProperties,
                           QgsFeatureRequest, QgsRectangle)
    from qgis.PyQt.QtCore import QDateTime, QDate, QTime, QSize, QVariant, Qt
    from qgis.PyQt.QtGui import QColor
except ImportError as e:
    print(f"SKIP: QGIS's Python bindings (python3-qgis) are not installed: {e}")
    sys.exit(77)

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL:", msg)


def ogr_layer(gpkg, name):
    """The layer as QGIS Desktop adds it: created, then its default style loaded (QGIS 3.22's
    QgsVectorLayer constructor alone applies an embedded style's renderer but not its temporal
    settings; Desktop calls loadDefaultStyle after creating the layer)."""
    options = QgsVectorLayer.LayerOptions()
    options.loadDefaultStyle = False
    layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr", options)
    if not layer.isValid():
        raise SystemExit(f"FAIL: {gpkg}: layer {name} does not open in QGIS")
    layer.loadDefaultStyle()
    return layer


def written_styles(gpkg):
    """layer_styles rows, read with QGIS's own OGR access: {table: (QML root, SLD text)}."""
    t = ogr_layer(gpkg, "layer_styles")
    out = {}
    for f in t.getFeatures():
        if not f["useAsDefault"]:
            continue
        out[f["f_table_name"]] = (ET.fromstring(f["styleQML"].split("\n", 1)[1]), f["styleSLD"])
    return out


def spatial_layers(gpkg):
    from osgeo import ogr  # python3-gdal: a dependency of python3-qgis
    ds = ogr.Open(gpkg)
    return [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount()) if ds.GetLayer(i).GetGeomType() != ogr.wkbNone]


def classes_of(qml_root):
    """The renderer written in the QML: type, field, [(lower, upper, label, (r, g, b))] or categories."""
    r = qml_root.find("renderer-v2")
    symbols = {}
    for s in r.find("symbols").findall("symbol"):
        for o in s.find("layer").find("Option").findall("Option"):
            if o.get("name") in ("color", "line_color"):
                symbols[s.get("name")] = tuple(int(v) for v in o.get("value").split(",")[:3])
    ranges = [(float(x.get("lower")), float(x.get("upper")), x.get("label"), symbols[x.get("symbol")])
              for x in r.iter("range")]
    cats = [(x.get("value"), x.get("label"), symbols[x.get("symbol")]) for x in r.iter("category")]
    return r.get("type"), r.get("attr"), ranges, cats


def check_styles(gpkg, expect_temporal):
    styles = written_styles(gpkg)
    for name in spatial_layers(gpkg):
        if name not in styles:
            fail(f"{gpkg}: layer {name} has no default style in layer_styles")
            continue
        layer = ogr_layer(gpkg, name)  # QGIS applies the default style (useAsDefault) on loading
        rtype, attr, ranges, cats = classes_of(styles[name][0])
        r = layer.renderer()
        if r.type() != rtype:
            fail(f"{gpkg}: {name}: QGIS renderer {r.type()}, the embedded style has {rtype}")
            continue
        if rtype == "graduatedSymbol":
            got = [(x.lowerValue(), x.upperValue(), x.label(), x.symbol().color().getRgb()[:3]) for x in r.ranges()]
            if r.classAttribute() != attr or got != ranges:
                fail(f"{gpkg}: {name}: QGIS loaded classes {r.classAttribute()} {got}, written {attr} {ranges}")
            for lo, hi, label, _ in ranges:
                if not any("\u4e00" <= ch <= "\u9fff" for ch in label) or not any("a" <= ch <= "z" for ch in label):
                    fail(f"{gpkg}: {name}: class label '{label}' is not in 中文 and English")
            if name.endswith("diff"):
                bounds = [x[0] for x in ranges] + [ranges[-1][1]]
                if [round(b, 12) for b in bounds] != [round(-b, 12) for b in reversed(bounds)]:
                    fail(f"{gpkg}: {name}: difference classes not symmetric around 0: {bounds}")
        elif rtype == "categorizedSymbol":
            got = [(str(x.value()), x.label(), x.symbol().color().getRgb()[:3]) for x in r.categories()]
            if r.classAttribute() != attr or got != cats or not cats:
                fail(f"{gpkg}: {name}: QGIS loaded categories {got}, written {cats}")
            values = {f[attr] for f in layer.getFeatures()}
            if not values <= {c[0] for c in cats}:
                fail(f"{gpkg}: {name}: values without a category: {values - {c[0] for c in cats}}")
        if "<se:Rule>" not in styles[name][1]:
            fail(f"{gpkg}: {name}: the SLD has no rule")
        tp = layer.temporalProperties()
        if name in expect_temporal:
            if not (tp.isActive() and tp.mode() == QgsVectorLayerTemporalProperties.ModeFeatureDateTimeStartAndEndFromFields
                    and tp.startField() == "year_start" and tp.endField() == "year_end"):
                fail(f"{gpkg}: {name}: not time-enabled on year_start-year_end (active {tp.isActive()}, mode {tp.mode()})")
        elif tp.isActive():
            fail(f"{gpkg}: {name}: time-enabled, expected not")
        if "OpenStreetMap contributors" not in " ".join(layer.metadata().rights()):
            fail(f"{gpkg}: {name}: metadata rights {layer.metadata().rights()} lack the ODbL credit")
    return styles


def year_range(y):
    # A frame of QGIS's temporal controller stepping one year: [1 Jan y, 1 Jan y+1).
    return QgsDateTimeRange(QDateTime(QDate(y, 1, 1), QTime(0, 0)), QDateTime(QDate(y + 1, 1, 1), QTime(0, 0)), True, False)


def check_temporal(gpkg, csv_file, year):
    layer = ogr_layer(gpkg, "parcels_by_year")
    flt = layer.temporalProperties().createFilterString(QgsVectorLayerTemporalContext(), year_range(year))
    rows = {}
    for f in layer.getFeatures(QgsFeatureRequest().setFilterExpression(flt)):
        if f["parcel_id"] in rows:
            fail(f"parcels_by_year filtered to {year}: parcel {f['parcel_id']} twice")
        rows[f["parcel_id"]] = f
    with open(csv_file, newline="") as fh:
        expected = [r for r in csv.DictReader(fh) if int(r["year"]) == year]
    if len(rows) != len(expected) or not expected:
        fail(f"parcels_by_year filtered to {year} ({flt}): {len(rows)} features, parcel_years has {len(expected)} rows")
        return
    compared = 0
    for r in expected:
        f = rows.get(int(r["parcel_id"]))
        if f is None:
            fail(f"parcels_by_year filtered to {year}: parcel {r['parcel_id']} missing")
            continue
        for k, v in r.items():
            got = f[k]
            got = None if got is None or (isinstance(got, QVariant) and got.isNull()) else got
            want = None if v == "" else float(v)
            if isinstance(got, bool):
                got = float(got)
            if (got is None) != (want is None) or (want is not None and float(got) != want):
                fail(f"parcels_by_year filtered to {year}: parcel {r['parcel_id']} {k} = {got}, parcel_years {want}")
                return
            compared += 1
    print(f"temporal: {year} filter ({flt}) shows {len(rows)} parcels, {compared} values equal to parcel_years.csv")


def check_fields(run_dir, gpkg):
    manifest = json.load(open(os.path.join(run_dir, "manifest.json")))
    layer = ogr_layer(gpkg, "parcels")
    title = layer.metadata().title() + " " + layer.metadata().abstract()
    last = manifest["years"][-1]
    if str(last) not in layer.metadata().title() or f"end of the run, {last}" not in layer.metadata().abstract():
        fail(f"parcels layer metadata does not name its year {last}: {title[:120]}")
    for name in ("home_points", "parcels"):
        lay = ogr_layer(gpkg, name)
        for c in manifest["classes"]:
            fb = c["name"] + "_beyond_bound"
            if lay.fields().field(fb).type() != QVariant.Bool:
                fail(f"{name}.{fb} is {lay.fields().field(fb).typeName()}, not a Boolean")
            dist = ("time_" if c["network"] == "drive" else "dist_") + c["name"] + ("_s" if c["network"] == "drive" else "_m")
            bound = c["radius_m"] * 1.2 if c["network"] == "walk" else c["drive_budget_min"] * 60
            counts = {True: 0, False: 0, None: 0}
            for f in lay.getFeatures():
                b, d = f[fb], f[dist]
                b = None if b is None or (isinstance(b, QVariant) and b.isNull()) else b
                d = None if d is None or (isinstance(d, QVariant) and d.isNull()) else d
                counts[b] += 1
                ok = (b is None and d is None) if c["no_data"] else (b is False and d is not None and d <= bound + 1e-9) or (b is True and d is None)
                if not ok:
                    fail(f"{name} fid {f.id()}: {fb} = {b}, {dist} = {d} (bound {bound}, no_data {c['no_data']})")
                    break
            if name == "parcels":
                print(f"{c['name']}: beyond the bound {counts[True]}, within {counts[False]}, no data {counts[None]}")
    hp = ogr_layer(gpkg, "home_points")
    if hp.fields().field("cov_15min").type() != QVariant.Bool:
        fail("home_points.cov_15min is not a Boolean")


def render(gpkg, png, size=900):
    """The parcels layer drawn by QGIS with its default style; returns (image, map settings)."""
    layer = ogr_layer(gpkg, "parcels")
    ms = QgsMapSettings()
    ms.setLayers([layer])
    ms.setDestinationCrs(layer.crs())
    ext = layer.extent()
    ext.scale(1.02)
    ms.setExtent(ext)
    ms.setOutputSize(QSize(size, size))
    ms.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(ms)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    img.save(png, "PNG")
    return layer, img, ms


def picture(gpkg, png):
    """The docs picture: the parcels layer as QGIS draws it, with the legend's classes."""
    from qgis.PyQt.QtGui import QPainter, QFont, QImage
    layer, img, _ = render(gpkg, png, 800)
    p = QPainter(img)
    p.setFont(QFont("WenQuanYi Zen Hei", 11))
    ranges = layer.renderer().ranges()
    x, y = 12, 40  # top left: few covered parcels there
    p.fillRect(x - 6, y - 28, 330, 26 * len(ranges) + 40, QColor(255, 255, 255, 230))
    p.drawText(x, y - 8, layer.metadata().title() + " · " + layer.renderer().classAttribute())
    for i, r in enumerate(ranges):
        p.fillRect(x, y + 26 * i, 22, 18, r.symbol().color())
        p.drawText(x + 30, y + 26 * i + 14, r.label())
    p.drawText(img.width() - 250, img.height() - 10, "© OpenStreetMap contributors (ODbL)")
    p.end()
    # A small file: a palette of the class colours (exact), greys, and class colours half-blended
    # with the outline grey (antialiased edges).
    table = []
    for r in ranges:
        c = r.symbol().color()
        table.append(c.rgb())
        for k in (0.25, 0.5, 0.75):
            table.append(QColor(int(c.red() * (1 - k) + 120 * k), int(c.green() * (1 - k) + 120 * k), int(c.blue() * (1 - k) + 120 * k)).rgb())
    table += [QColor(g, g, g).rgb() for g in range(0, 256, 8)] + [QColor(255, 255, 255).rgb()]
    img.convertToFormat(QImage.Format_Indexed8, table, Qt.ThresholdDither | Qt.AvoidDither).save(png, "PNG")


def check_render(gpkg, png, styles):
    layer, img, ms = render(gpkg, png)
    _, attr, ranges, _ = classes_of(styles["parcels"][0])
    px = ms.mapUnitsPerPixel()
    m2p = ms.mapToPixel()
    sampled, wrong, seen = 0, [], set()
    for f in layer.getFeatures():
        v = f[attr]
        if v is None or (isinstance(v, QVariant) and v.isNull()):
            continue
        inner = f.geometry().buffer(-4 * px, 4)  # 4 pixels inside: away from outlines and neighbours
        if inner.isEmpty():
            continue
        p = m2p.transform(inner.pointOnSurface().asPoint())
        want = next(c for lo, hi, _, c in ranges if lo <= v <= hi)
        got = QColor(img.pixel(int(p.x()), int(p.y()))).getRgb()[:3]
        sampled += 1
        seen.add(want)
        if got != want:
            wrong.append((f["parcel_id"], v, got, want))
    print(f"render: {png}: {sampled} parcels sampled, {len(seen)} classes seen, {len(wrong)} off their class colour")
    if sampled < 100 or len(seen) < 2:
        fail(f"render: only {sampled} parcels large enough to sample, {len(seen)} classes")
    if wrong:
        fail(f"render: {len(wrong)} parcels off their class colour, e.g. {wrong[:3]}")


def main():
    app = QgsApplication([], False)
    app.initQgis()
    if sys.argv[1] == "--picture":
        picture(os.path.join(sys.argv[2], "outputs.gpkg"), sys.argv[3])
        return 0
    ut, src = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp()
    try:
        run = os.path.join(tmp, "run")
        subprocess.run([ut, "run", os.path.join(src, "scenarios/chengdu-center/baseline.toml"), "--until", "2025", "--out", run,
                        "--quiet"], check=True)
        subprocess.run([ut, "compare", run, run, "--out", os.path.join(tmp, "cmp")], check=True, stdout=subprocess.DEVNULL)
        # A small study (2 seeds, no traffic) and the comparison of its two variants.
        sc = os.path.join(src, "scenarios/chengdu-center")
        with open(os.path.join(tmp, "study.toml"), "w") as fh:
            fh.write(f'name = "tiny"\nscenarios = ["{sc}/baseline.toml", "{sc}/whatif-upzoning-metro.toml"]\n'
                     'reference = "chengdu-center-baseline"\nseeds = 2\nkeep = "+parcels"\nuntil = 2025\n'
                     '[set]\ntraffic.enabled = false\n')
        study = os.path.join(tmp, "study")
        subprocess.run([ut, "batch", os.path.join(tmp, "study.toml"), "--out", study, "--quiet"], check=True)
        subprocess.run([ut, "compare", "--study", study, "chengdu-center-baseline", "chengdu-center-upzoning-metro", "--out",
                        os.path.join(tmp, "study-cmp")], check=True, stdout=subprocess.DEVNULL)
        gpkg = os.path.join(run, "outputs.gpkg")
        # GDAL's GeoPackage validator (python3-gdal's samples): the tables we write ourselves
        # (layer_styles, gpkg_metadata, gpkg_data_columns) keep the file a valid GeoPackage.
        validator = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
        if os.path.exists(validator):
            for f in (gpkg, os.path.join(tmp, "cmp", "parcel_diff.gpkg"), os.path.join(study, "parcels_summary.gpkg")):
                r = subprocess.run([sys.executable, validator, f], capture_output=True, text=True)
                if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
                    fail(f"{f}: GDAL's validate_gpkg.py: {r.stdout.strip()} {r.stderr.strip()}")
        styles = check_styles(gpkg, {"parcels_by_year"})
        check_styles(os.path.join(tmp, "cmp", "parcel_diff.gpkg"), {"parcel_year_diff"})
        check_styles(os.path.join(study, "parcels_summary.gpkg"), set())
        check_styles(os.path.join(tmp, "study-cmp", "parcel_diff.gpkg"), set())
        for y in (2024, 2025):
            check_temporal(gpkg, os.path.join(run, "parcel_years.csv"), y)
        check_fields(run, gpkg)
        check_render(gpkg, os.path.join(tmp, "parcels.png"), styles)
    finally:
        shutil.rmtree(tmp)
    if FAILS:
        return 1
    print("QGIS: every layer loads its embedded style; the temporal layer shows each year's parcel_years; rights hold the "
          "ODbL credit; Booleans; the rendered parcels follow the legend")
    return 0


if __name__ == "__main__":
    sys.exit(main())
