#include "output/compare.hpp"

#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <vector>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/staging.hpp"
#include "core/version.hpp"
#include "output/gpkg.hpp"
#include "output/styles.hpp"
#include "gis_io/ogr_util.hpp"
#include "output/run_dir.hpp"

namespace ut::output {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;

Comparison compare_runs(const gis_io::RunData& a, const gis_io::RunData& b) {
  Comparison c;
  c.credit = core::credit_union({core::recorded_credit(a.attribution), core::recorded_credit(b.attribution)});
  // gis_io::read_run checked each run against its manifest: every year of `years` has its
  // indicator row and one parcel_years row per parcel, so the look-ups below cannot miss.
  if (a.parcel_id != b.parcel_id) {
    const Where w{(b.dir / "outputs.gpkg").string(), "layer parcels", "parcel_id"};
    const std::string rule = "both runs must have the same parcels in the same order (runs of one city)";
    if (a.parcel_id.size() != b.parcel_id.size())
      throw InputError(w, rule, fmt::format("{} parcels in A, {} in B", a.parcel_id.size(), b.parcel_id.size()));
    const auto d = std::mismatch(a.parcel_id.begin(), a.parcel_id.end(), b.parcel_id.begin());
    throw InputError(w, rule,
                     fmt::format("parcel {} of {} is parcel_id {} in A, {} in B", d.first - a.parcel_id.begin() + 1,
                                 a.parcel_id.size(), *d.first, *d.second));
  }
  for (const int year : a.years)
    if (std::find(b.years.begin(), b.years.end(), year) != b.years.end()) c.years.push_back(year);
  if (c.years.empty())
    throw InputError(Where{(b.dir / "manifest.json").string(), "", "key years"},
                     "the runs must share at least one simulated year",
                     fmt::format("A {}-{}, B {}-{}", a.years.front(), a.years.back(), b.years.front(), b.years.back()));
  for (const int y : c.years)
    for (std::size_t i = 0; i < a.indicators.size(); ++i) {
      const auto it = std::find(b.indicators.begin(), b.indicators.end(), a.indicators[i]);
      if (it == b.indicators.end()) continue;
      c.indicators.push_back({y, a.indicators[i], a.rows.at(y)[i], b.rows.at(y)[static_cast<std::size_t>(it - b.indicators.begin())]});
    }
  for (const auto& f : a.parcel_fields)
    if (std::find(b.parcel_fields.begin(), b.parcel_fields.end(), f) != b.parcel_fields.end()) c.parcel_fields.push_back(f);
  return c;
}

namespace {

std::string cell(const std::optional<double>& v) { return v ? fmt::format("{:.6f}", *v) : ""; }
// a, b and B - A as indicators.csv writes the indicator (counts whole, the gap to 6 digits).
std::string cell(const std::string& name, const std::optional<double>& v) {
  return v ? format_indicator(name, *v) : "";
}

}  // namespace

core::Staging::Spec compare_output_spec(const fs::path& dir, const fs::path& run_a, const fs::path& run_b, bool overwrite) {
  return core::Staging::Spec{dir, core::Staging::Kind::directory, "compare", overwrite, {run_a, run_b}, "--out"};
}

void write_comparison(core::Staging& staging, const gis_io::RunData& a, const gis_io::RunData& b, const Comparison& c) {
  staging.write_and_commit([&](const fs::path& tmp) {
  {
    std::string o = "year,indicator,a,b,diff,diff_pct\n";
    for (const auto& d : c.indicators) {
      std::optional<double> diff, pct;
      if (d.a && d.b) diff = *d.b - *d.a;
      if (diff && *d.a != 0) pct = 100 * *diff / std::abs(*d.a);
      o += fmt::format("{},{},{},{},{},{}\n", d.year, d.name, cell(d.name, d.a), cell(d.name, d.b), cell(d.name, diff), cell(pct));
    }
    core::write_file(tmp / "indicator_diff.csv", o);
  }
  detail::write_attribution(tmp, c.credit.text, c.credit.osm);
  {
    detail::Gpkg g(tmp / "parcel_diff.gpkg");
    OGRSpatialReference srs;
    srs.importFromWkt(a.crs_wkt.c_str());
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    auto field = [&](OGRLayer* l, const std::string& name, OGRFieldType t, OGRFieldSubType sub = OFSTNone) { g.field(l, name, t, sub); };
    // Yes/no fields (<class>_beyond_bound) are shown as A and B, as Booleans, without a difference.
    auto is_boolean = [](const std::string& f) {
      const std::string suffix = "_beyond_bound";
      return f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    // The map: the 15-minute coverage share's change, else the first field's.
    std::string mapped;
    for (const auto& f : c.parcel_fields)
      if (!is_boolean(f) && (mapped.empty() || f == "cov_15min")) mapped = f;
    const std::string doc_tail = fmt::format(" Differences are B - A: A = {} ({}), B = {} ({}).", a.scenario, a.dir.string(), b.scenario, b.dir.string());
    auto column = [&](const gis_io::RunData& r, const std::string& f) {
      return static_cast<std::size_t>(std::find(r.parcel_fields.begin(), r.parcel_fields.end(), f) - r.parcel_fields.begin());
    };
    // Final common year: A, B and B - A per field, with the parcel polygons.
    const int last = c.years.back();
    OGRLayer* l = g.layer("parcel_diff", &srs, wkbMultiPolygon);
    field(l, "parcel_id", OFTInteger64);
    field(l, "year", OFTInteger);
    for (const auto& f : c.parcel_fields) {
      if (is_boolean(f)) {
        field(l, f + "_a", OFTInteger, OFSTBoolean);
        field(l, f + "_b", OFTInteger, OFSTBoolean);
        continue;
      }
      field(l, f + "_a", OFTReal);
      field(l, f + "_b", OFTReal);
      field(l, f + "_diff", OFTReal);
    }
    auto set_values = [&](OGRFeature& feat, int i, int year, std::size_t p, bool both) {
      for (const auto& f : c.parcel_fields) {
        const auto& va = a.parcel_years.at(year)[p][column(a, f)];
        const auto& vb = b.parcel_years.at(year)[p][column(b, f)];
        if (is_boolean(f)) {
          if (both) {
            if (va) feat.SetField(i, *va != 0 ? 1 : 0); else feat.SetFieldNull(i);
            if (vb) feat.SetField(i + 1, *vb != 0 ? 1 : 0); else feat.SetFieldNull(i + 1);
            i += 2;
          }
          continue;
        }
        if (both) {
          if (va) feat.SetField(i, *va); else feat.SetFieldNull(i);
          if (vb) feat.SetField(i + 1, *vb); else feat.SetFieldNull(i + 1);
          i += 2;
        }
        if (va && vb) feat.SetField(i, *vb - *va); else feat.SetFieldNull(i);
        ++i;
      }
    };
    // Shares change by at most 1; other fields (residents...) by what the data say.
    auto max_abs_diff = [&](const std::vector<int>& ys) {
      double m = 0;
      for (const int y : ys)
        for (std::size_t p = 0; p < a.parcel_id.size(); ++p) {
          const auto& va = a.parcel_years.at(y)[p][column(a, mapped)];
          const auto& vb = b.parcel_years.at(y)[p][column(b, mapped)];
          if (va && vb) m = std::max(m, std::abs(*vb - *va));
        }
      const bool share = mapped.rfind("cov_", 0) == 0 || mapped.rfind("share_", 0) == 0;
      return share ? 1.0 : m > 0 ? std::pow(10.0, std::ceil(std::log10(m))) : 1.0;
    };
    auto diff_style = [&](const std::vector<int>& ys) {
      if (mapped == "cov_15min") return styles::difference("cov_15min_diff", 1.0, "15分钟生活圈覆盖率变化", "change in 15-minute coverage");
      return styles::difference(mapped + "_diff", max_abs_diff(ys), mapped + " 变化", "change in " + mapped);
    };
    for (std::size_t p = 0; p < a.parcel_id.size(); ++p) {
      OGRFeature feat(l->GetLayerDefn());
      feat.SetField(0, static_cast<GIntBig>(a.parcel_id[p]));
      feat.SetField(1, last);
      set_values(feat, 2, last, p, true);
      OGRMultiPolygon mp = gis_io::detail::from_multipolygon(a.parcel_shape[p]);
      feat.SetGeometry(&mp);
      g.add(l, feat, "parcel_diff feature");
    }
    g.describe(l,
               styles::LayerDoc{"parcel_diff", fmt::format("Parcel differences {} / 地块差异 {}", last, last),
                                fmt::format("Per parcel in {} (the last common year): each field of A, of B and B - A.", last) + doc_tail,
                                c.credit.text, c.credit.license, {"urbantwin"}},
               {});
    if (!mapped.empty()) g.style(l, diff_style({last}));
    // Every common year: B - A per parcel and field, time-enabled for QGIS's temporal controller.
    OGRLayer* ly = g.layer("parcel_year_diff", &srs, wkbMultiPolygon);
    field(ly, "parcel_id", OFTInteger64);
    field(ly, "year", OFTInteger);
    field(ly, "year_start", OFTDateTime);
    field(ly, "year_end", OFTDateTime);
    for (const auto& f : c.parcel_fields)
      if (!is_boolean(f)) field(ly, f + "_diff", OFTReal);
    std::vector<OGRMultiPolygon> shapes;
    for (const auto& sh : a.parcel_shape) shapes.push_back(gis_io::detail::from_multipolygon(sh));
    for (const int y : c.years)
      for (std::size_t p = 0; p < a.parcel_id.size(); ++p) {
        OGRFeature feat(ly->GetLayerDefn());
        feat.SetField(0, static_cast<GIntBig>(a.parcel_id[p]));
        feat.SetField(1, y);
        feat.SetField(2, y, 1, 1, 0, 0, 0.0F, 0);  // local time, no zone (as outputs.gpkg's parcels_by_year)
        feat.SetField(3, y + 1, 1, 1, 0, 0, 0.0F, 0);
        set_values(feat, 4, y, p, false);
        feat.SetGeometry(&shapes[p]);
        g.add(ly, feat, "parcel_year_diff row");
      }
    g.describe(ly,
               styles::LayerDoc{"parcel_year_diff", fmt::format("Parcel differences by year {}-{} / 逐年地块差异", c.years.front(), last),
                                "Per parcel and common year: B - A of each field; time-enabled (each feature lasts from "
                                "year_start to year_end, excluded)." + doc_tail,
                                c.credit.text, c.credit.license, {"urbantwin"}},
               {});
    if (!mapped.empty()) {
      styles::Style st = diff_style(c.years);
      st.temporal_start = "year_start";
      st.temporal_end = "year_end";
      g.style(ly, st);
    }
    g.about({{"attribution", c.credit.text}, {"run_a", a.dir.string()}, {"run_b", b.dir.string()}, {"scenario_a", a.scenario},
             {"scenario_b", b.scenario}, {"difference", "B - A"}, {"engine", "urbantwin " UT_VERSION}});
    g.commit();
  }
  nlohmann::ordered_json m;
  m["engine"] = "urbantwin";
  m["kind"] = "compare";
  m["version"] = UT_VERSION;
  if (const auto commit = build_commit_label()) m["commit"] = *commit;
  else m["commit"] = nullptr;
  m["run_a"] = fs::absolute(a.dir).lexically_normal().string();
  m["run_b"] = fs::absolute(b.dir).lexically_normal().string();
  m["scenario_a"] = a.scenario;
  m["scenario_b"] = b.scenario;
  m["difference"] = "B - A";
  m["years"] = c.years;
  m["attribution"] = c.credit.text;
  m["outputs"] = {"manifest.json", "indicator_diff.csv", "parcel_diff.gpkg", "ATTRIBUTION.txt"};
  core::write_file(tmp / "manifest.json", m.dump(2) + "\n");
  });
}

}  // namespace ut::output
