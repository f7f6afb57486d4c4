#include "batch/tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/staging.hpp"
#include "core/suggest.hpp"
#include "gis_io/load.hpp"
#include "gis_io/run_reader.hpp"
#include "output/parcel_tables.hpp"
#include "output/run_dir.hpp"

namespace ut::batch {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;

namespace {

// An indicator's statistic: 6 decimals, the assignment gap (1e-6 and smaller) to 6 significant digits.
std::string num(const std::string& indicator, double v) { return output::format_statistic(indicator, v); }
std::string num(const std::string& indicator, const std::optional<double>& v) { return v ? num(indicator, *v) : std::string(); }

// A CSV cell: quoted when it holds a comma, a quote or a line break.
std::string cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void write_table(const StudyIndex& index, const std::string& name, const std::string& text) {
  core::Staging st(core::Staging::Spec{index.dir / name, core::Staging::Kind::file, "study table", true, index.inputs, "--out"});
  st.write_and_commit([&](const fs::path& tmp) { core::write_file(tmp, text); });
}

// What the tables need of one run: its indicators every year, and its final year's parcel values
// for residents, share_<class> and cov_<t>min (when it kept parcels).
struct RunTables {
  bool present = false;
  std::vector<int> years;
  std::vector<std::string> indicators;
  std::map<int, std::vector<std::optional<double>>> rows;
  std::vector<std::int64_t> parcel_id;
  std::vector<std::string> parcel_fields;                  // the selected fields
  std::vector<std::vector<std::optional<double>>> parcels;  // final year: per parcel, per selected field
};

RunTables load_run(const StudyIndex& index, const IndexRun& r) {
  RunTables t;
  if (r.status != "done") return t;
  auto d = gis_io::read_run_tables(index.dir / "runs" / r.name);
  t.present = true;
  t.years = d.years;
  t.indicators = std::move(d.indicators);
  t.rows = std::move(d.rows);
  if (!d.parcel_fields.empty()) {
    std::vector<std::size_t> pick;
    for (std::size_t k = 0; k < d.parcel_fields.size(); ++k) {
      const auto& f = d.parcel_fields[k];
      if (f == "residents" || f.rfind("share_", 0) == 0 || f.rfind("cov_", 0) == 0) {
        pick.push_back(k);
        t.parcel_fields.push_back(f);
      }
    }
    t.parcel_id = std::move(d.parcel_id);
    const auto& last = d.parcel_years.at(t.years.back());
    for (const auto& row : last) {
      auto& out = t.parcels.emplace_back();
      for (const auto k : pick) out.push_back(row[k]);
    }
  }
  return t;
}

std::optional<double> value_of(const RunTables& t, int year, const std::string& indicator) {
  const auto it = t.rows.find(year);
  if (it == t.rows.end()) return std::nullopt;
  const auto k = std::find(t.indicators.begin(), t.indicators.end(), indicator);
  if (k == t.indicators.end()) return std::nullopt;
  return it->second[static_cast<std::size_t>(k - t.indicators.begin())];
}

// The runs of a variant, one per seed of the study (absent: not present).
std::vector<const RunTables*> arm(const StudyIndex& index, const std::vector<RunTables>& data, std::size_t variant) {
  std::vector<const RunTables*> out(index.seeds.size(), nullptr);
  for (std::size_t i = 0; i < index.runs.size(); ++i) {
    if (index.runs[i].variant != variant || !data[i].present) continue;
    const auto s = std::find(index.seeds.begin(), index.seeds.end(), index.runs[i].seed);
    out[static_cast<std::size_t>(s - index.seeds.begin())] = &data[i];
  }
  return out;
}

const RunTables* first_present(const std::vector<const RunTables*>& a) {
  for (const auto* t : a)
    if (t) return t;
  return nullptr;
}

std::vector<IndicatorDifference> differences(const StudyIndex& index, const std::vector<RunTables>& data, std::size_t a, std::size_t b) {
  const auto ra = arm(index, data, a), rb = arm(index, data, b);
  std::vector<IndicatorDifference> out;
  const RunTables* fa = first_present(ra);
  const RunTables* fb = first_present(rb);
  if (!fa || !fb) return out;
  for (const int year : fa->years) {
    if (std::find(fb->years.begin(), fb->years.end(), year) == fb->years.end()) continue;
    for (const auto& ind : fa->indicators) {
      if (ind == "year" || std::find(fb->indicators.begin(), fb->indicators.end(), ind) == fb->indicators.end()) continue;
      std::vector<std::optional<double>> va, vb;
      for (std::size_t s = 0; s < index.seeds.size(); ++s) {
        va.push_back(ra[s] ? value_of(*ra[s], year, ind) : std::nullopt);
        vb.push_back(rb[s] ? value_of(*rb[s], year, ind) : std::nullopt);
      }
      out.push_back({year, ind, summarize(va), summarize(vb), difference(va, vb)});
    }
  }
  return out;
}

std::vector<RunTables> load_all(const StudyIndex& index) {
  std::vector<RunTables> data;
  for (const auto& r : index.runs) data.push_back(load_run(index, r));
  return data;
}

// The parcels' geometry and CRS: from the study's first variant's scenario.
struct Geometry {
  std::string crs;
  std::vector<std::int64_t> ids;
  std::vector<geo::MultiPolygon> shapes;
};
Geometry parcel_geometry(const StudyIndex& index, std::size_t variant) {
  const auto& v = index.variants[variant];
  nlohmann::json j;
  std::vector<scenario::Override> ov;
  // The variant's overrides as study.json records them.
  {
    std::ifstream in(index.dir / "study.json");
    j = nlohmann::json::parse(in, nullptr, false);
    for (const auto& o : j["variants"][variant]["override_list"]) ov.push_back({o["key"], o["value"], "study.json"});
  }
  const auto s = scenario::load_scenario(v.file, ov);
  const auto c = gis_io::load_city(s);
  Geometry g;
  g.crs = c.crs;
  g.ids.assign(c.parcels.id.begin(), c.parcels.id.end());
  g.shapes.assign(c.parcels.shape.begin(), c.parcels.shape.end());
  return g;
}

// Per-parcel values of an arm's final year aligned to the geometry's parcels: [seed][parcel][field].
struct ParcelArm {
  std::vector<std::string> fields;
  std::vector<std::vector<std::vector<std::optional<double>>>> values;
};
ParcelArm parcel_arm(const std::vector<const RunTables*>& runs, const Geometry& g) {
  ParcelArm out;
  const RunTables* f = first_present(runs);
  if (!f) return out;
  out.fields = f->parcel_fields;
  std::map<std::int64_t, std::size_t> at;
  for (std::size_t p = 0; p < g.ids.size(); ++p) at[g.ids[p]] = p;
  for (const auto* r : runs) {
    auto& v = out.values.emplace_back(g.ids.size(), std::vector<std::optional<double>>(out.fields.size()));
    if (!r || r->parcels.empty()) continue;
    for (std::size_t i = 0; i < r->parcel_id.size(); ++i) {
      const auto it = at.find(r->parcel_id[i]);
      if (it == at.end()) continue;
      for (std::size_t k = 0; k < out.fields.size(); ++k) {
        const auto fk = std::find(r->parcel_fields.begin(), r->parcel_fields.end(), out.fields[k]);
        if (fk != r->parcel_fields.end()) v[it->second][k] = r->parcels[i][static_cast<std::size_t>(fk - r->parcel_fields.begin())];
      }
    }
  }
  return out;
}

std::vector<std::optional<double>> across(const ParcelArm& a, std::size_t p, std::size_t k) {
  std::vector<std::optional<double>> out;
  for (const auto& s : a.values) out.push_back(s[p][k]);
  return out;
}

output::ParcelTable summary_table(const std::string& name, const std::string& description, const ParcelArm& a, std::size_t parcels) {
  using T = output::ParcelTable::Type;
  output::ParcelTable t{name, description, {{"n", T::integer}}, {}};
  for (const auto& f : a.fields)
    for (const char* s : {"_mean", "_ci95_low", "_ci95_high"}) t.fields.emplace_back(f + s, T::real);
  for (std::size_t p = 0; p < parcels; ++p) {
    auto& row = t.values.emplace_back();
    std::size_t n = 0;
    for (std::size_t k = 0; k < a.fields.size(); ++k) {
      const Summary s = summarize(across(a, p, k));
      n = std::max(n, s.n);
      if (s.n == 0) row.insert(row.end(), 3, std::nullopt);
      else row.insert(row.end(), {s.mean, s.ci_low, s.ci_high});
    }
    row.insert(row.begin(), static_cast<double>(n));
  }
  return t;
}

output::ParcelTable difference_table(const std::string& name, const std::string& description, const ParcelArm& a,
                                     const ParcelArm& b, std::size_t parcels) {
  using T = output::ParcelTable::Type;
  output::ParcelTable t{name, description, {{"n_pairs", T::integer}}, {}};
  std::vector<std::pair<std::size_t, std::size_t>> common;  // field index in a, in b
  for (std::size_t k = 0; k < b.fields.size(); ++k) {
    const auto it = std::find(a.fields.begin(), a.fields.end(), b.fields[k]);
    if (it == a.fields.end()) continue;
    common.emplace_back(static_cast<std::size_t>(it - a.fields.begin()), k);
    const auto& f = b.fields[k];
    t.fields.emplace_back(f + "_diff", T::real);
    t.fields.emplace_back(f + "_diff_ci95_low", T::real);
    t.fields.emplace_back(f + "_diff_ci95_high", T::real);
    t.fields.emplace_back(f + "_within_noise", T::boolean);
  }
  for (std::size_t p = 0; p < parcels; ++p) {
    auto& row = t.values.emplace_back();
    std::size_t n = 0;
    for (const auto& [ka, kb] : common) {
      const Difference d = difference(across(a, p, ka), across(b, p, kb));
      n = std::max(n, d.n);
      if (d.n == 0) {
        row.insert(row.end(), 4, std::nullopt);
        continue;
      }
      row.insert(row.end(), {d.mean, d.ci_low, d.ci_high});
      row.push_back(d.distinguishable ? std::optional<double>(*d.distinguishable ? 0.0 : 1.0) : std::nullopt);
    }
    row.insert(row.begin(), static_cast<double>(n));
  }
  return t;
}

// The credits of the runs in `dirs` (done runs of a study), in order.
core::Credit runs_credit(const std::vector<fs::path>& dirs) {
  std::vector<core::Credit> parts;
  for (const auto& d : dirs) parts.push_back(core::recorded_credit(gis_io::read_run_attribution(d)));
  return core::credit_union(parts);
}

std::vector<std::pair<std::string, std::string>> about_rows(const StudyIndex& index, const core::Credit& credit, const std::string& what) {
  return {{"attribution", credit.text}, {"study", index.name}, {"content", what}, {"engine", "urbantwin " UT_VERSION}};
}

}  // namespace

void write_study_json(const Study& s, const std::vector<RunState>& states, const fs::path& dir) {
  nlohmann::ordered_json j;
  j["engine"] = "urbantwin";
  j["kind"] = "study";
  j["version"] = UT_VERSION;
  j["name"] = s.name;
  j["description"] = s.description;
  j["study_file"] = fs::absolute(s.file).lexically_normal().string();
  j["reference"] = s.reference;
  j["keep"] = output::keep_name(s.keep);
  j["until"] = s.until ? nlohmann::ordered_json(*s.until) : nlohmann::ordered_json();
  j["seeds"] = s.seeds;
  auto& vs = j["variants"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < s.variants.size(); ++i) {
    const auto& v = s.variants[i];
    auto ol = nlohmann::ordered_json::array();
    for (const auto& o : v.overrides) ol.push_back({{"key", o.key}, {"value", o.value}});
    vs.push_back({{"label", v.label},
                  {"scenario", v.scenario},
                  {"file", fs::absolute(v.file).lexically_normal().string()},
                  {"overrides", v.overrides_text},
                  {"override_list", ol},
                  {"years", {v.base_year, v.end_year}},
                  {"reference", s.reference_of[i] == std::string::npos || s.reference_of[i] == i
                                    ? nlohmann::ordered_json()
                                    : nlohmann::ordered_json(s.variants[s.reference_of[i]].label)}});
  }
  auto& rs = j["runs"] = nlohmann::ordered_json::array();
  std::size_t counts[3] = {0, 0, 0};
  for (std::size_t i = 0; i < s.runs.size(); ++i) {
    const auto st = states[i];
    ++counts[static_cast<int>(st)];
    rs.push_back({{"name", s.runs[i].name},
                  {"variant", s.variants[s.runs[i].variant].label},
                  {"seed", s.runs[i].seed},
                  {"status", st == RunState::done ? "done" : st == RunState::failed ? "failed" : "missing"}});
  }
  j["counts"] = {{"runs", s.runs.size()}, {"done", counts[0]}, {"failed", counts[1]}, {"missing", counts[2]}};
  auto outs = nlohmann::ordered_json::array({"study.json", "indicators_long.csv", "summary.csv"});
  if (!s.reference.empty()) outs.push_back("differences.csv");
  if (s.keep != output::Keep::indicators) outs.push_back("parcels_summary.gpkg");
  outs.push_back("ATTRIBUTION.txt");
  j["outputs"] = outs;
  std::vector<fs::path> done;
  for (std::size_t i = 0; i < s.runs.size(); ++i)
    if (states[i] == RunState::done) done.push_back(dir / "runs" / s.runs[i].name);
  j["attribution"] = runs_credit(done).text;
  std::vector<fs::path> inputs{s.file};
  for (const auto& v : s.variants) inputs.push_back(v.file);
  core::Staging st(core::Staging::Spec{dir / "study.json", core::Staging::Kind::file, "study manifest", true, inputs, "--out"});
  st.write_and_commit([&](const fs::path& tmp) { core::write_file(tmp, j.dump(2) + "\n"); });
}

StudyIndex read_study_index(const fs::path& dir) {
  const fs::path file = dir / "study.json";
  std::ifstream in(file);
  if (!in) throw InputError(Where{file.string(), "", ""}, "a study directory must hold study.json (written by urbantwin batch)", "missing");
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("engine", "") != "urbantwin" || j.value("kind", "") != "study")
    throw InputError(Where{file.string(), "", "key kind"}, "must be the study.json urbantwin batch writes (engine urbantwin, kind study)", "");
  StudyIndex x;
  x.dir = dir;
  try {
    x.name = j.at("name");
    x.description = j.value("description", "");
    x.reference = j.value("reference", "");
    x.keep = j.at("keep");
    x.seeds = j.at("seeds").get<std::vector<std::uint64_t>>();
    std::map<std::string, std::size_t> label;
    for (const auto& v : j.at("variants")) {
      label[v.at("label")] = x.variants.size();
      x.variants.push_back({v.at("label"), v.at("scenario"), v.at("file"), v.at("overrides"), std::nullopt});
      x.inputs.emplace_back(v.at("file").get<std::string>());
    }
    std::size_t i = 0;
    for (const auto& v : j.at("variants")) {
      if (!v.at("reference").is_null()) x.variants[i].reference = label.at(v.at("reference"));
      ++i;
    }
    for (const auto& r : j.at("runs")) x.runs.push_back({r.at("name"), label.at(r.at("variant")), r.at("seed"), r.at("status")});
    x.inputs.emplace_back(j.at("study_file").get<std::string>());
  } catch (const std::exception& e) {
    throw InputError(Where{file.string(), "", ""}, "must be the study.json urbantwin batch writes", e.what());
  }
  return x;
}

void write_study_tables(const StudyIndex& index) {
  const auto data = load_all(index);
  const core::Credit credit = study_credit(index);
  // indicators_long.csv: every value of every run.
  std::string lng = "run,scenario,seed,overrides,year,indicator,value\n";
  for (std::size_t i = 0; i < index.runs.size(); ++i) {
    const auto& t = data[i];
    if (!t.present) continue;
    const auto& r = index.runs[i];
    const auto& v = index.variants[r.variant];
    for (const int year : t.years)
      for (std::size_t k = 0; k < t.indicators.size(); ++k)
        lng += fmt::format("{},{},{},{},{},{},{}\n", cell(r.name), cell(v.scenario), r.seed, cell(v.overrides), year, t.indicators[k],
                           num(t.indicators[k], t.rows.at(year)[k]));
  }
  // summary.csv: per variant, year and indicator, over its seeds.
  std::string sum = "variant,scenario,overrides,year,indicator,n,mean,sd,ci95_low,ci95_high,min,max\n";
  for (std::size_t vi = 0; vi < index.variants.size(); ++vi) {
    const auto& v = index.variants[vi];
    const auto runs = arm(index, data, vi);
    const RunTables* f = first_present(runs);
    if (!f) continue;
    for (const int year : f->years)
      for (const auto& ind : f->indicators) {
        std::vector<std::optional<double>> xs;
        for (const auto* r : runs) xs.push_back(r ? value_of(*r, year, ind) : std::nullopt);
        const Summary s = summarize(xs);
        sum += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", cell(v.label), cell(v.scenario), cell(v.overrides), year, ind, s.n,
                           s.n ? num(ind, s.mean) : "", s.n ? num(ind, s.sd) : "", num(ind, s.ci_low), num(ind, s.ci_high),
                           s.n ? num(ind, s.min) : "", s.n ? num(ind, s.max) : "");
      }
  }
  write_table(index, "indicators_long.csv", lng);
  write_table(index, "summary.csv", sum);
  // differences.csv: each variant against its reference, paired by seed.
  if (!index.reference.empty()) {
    std::string dif =
        "variant,reference,year,indicator,n_pairs,mean_diff,sd_diff,ci95_low,ci95_high,distinguishable,unpaired_ci95_low,unpaired_ci95_high\n";
    for (std::size_t vi = 0; vi < index.variants.size(); ++vi) {
      const auto& v = index.variants[vi];
      if (!v.reference) continue;
      for (const auto& d : differences(index, data, *v.reference, vi))
        dif += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", cell(v.label), cell(index.variants[*v.reference].label), d.year,
                           d.indicator, d.diff.n, d.diff.n ? num(d.indicator, d.diff.mean) : "",
                           d.diff.n ? num(d.indicator, d.diff.sd) : "", num(d.indicator, d.diff.ci_low), num(d.indicator, d.diff.ci_high),
                           d.diff.distinguishable ? (*d.diff.distinguishable ? "yes" : "no") : "", num(d.indicator, d.diff.unpaired_low),
                           num(d.indicator, d.diff.unpaired_high));
    }
    write_table(index, "differences.csv", dif);
  }
  // parcels_summary.gpkg: per variant the final year's per-parcel mean and interval; per variant
  // with a reference the paired difference and whether it is within noise.
  if (index.keep != "indicators") {
    std::size_t any = index.variants.size();
    for (std::size_t vi = 0; vi < index.variants.size() && any == index.variants.size(); ++vi)
      if (first_present(arm(index, data, vi))) any = vi;
    if (any < index.variants.size()) {
      std::size_t geo_variant = any;
      for (std::size_t vi = 0; vi < index.variants.size(); ++vi)
        if (index.variants[vi].scenario == index.reference) {
          geo_variant = vi;
          break;
        }
      const Geometry g = parcel_geometry(index, geo_variant);
      std::vector<output::ParcelTable> tables;
      std::vector<ParcelArm> arms;
      for (std::size_t vi = 0; vi < index.variants.size(); ++vi) arms.push_back(parcel_arm(arm(index, data, vi), g));
      for (std::size_t vi = 0; vi < index.variants.size(); ++vi) {
        if (arms[vi].fields.empty()) continue;
        const auto& v = index.variants[vi];
        tables.push_back(summary_table(v.label,
                                       fmt::format("{}: per-parcel mean and 95 % interval over {} seeds, final year", v.label,
                                                   index.seeds.size()),
                                       arms[vi], g.ids.size()));
      }
      for (std::size_t vi = 0; vi < index.variants.size(); ++vi) {
        const auto& v = index.variants[vi];
        if (!v.reference || arms[vi].fields.empty() || arms[*v.reference].fields.empty()) continue;
        tables.push_back(difference_table("diff_" + v.label,
                                          fmt::format("{} - {}: paired by seed, 95 % interval; within_noise = the interval holds 0",
                                                      v.label, index.variants[*v.reference].label),
                                          arms[*v.reference], arms[vi], g.ids.size()));
      }
      output::write_parcel_tables(index.dir / "parcels_summary.gpkg", index.inputs, g.crs, g.ids, g.shapes, tables, credit,
                                  about_rows(index, credit, "per-parcel ensemble statistics"));
    }
  }
  // Rewritten when the credit changed (a resumed study whose new runs credit more sources).
  const std::string attribution = credit.text + "\n";
  std::string was;
  if (std::ifstream in(index.dir / "ATTRIBUTION.txt", std::ios::binary); in) was.assign(std::istreambuf_iterator<char>(in), {});
  if (was != attribution) write_table(index, "ATTRIBUTION.txt", attribution);
}

core::Credit study_credit(const StudyIndex& index, const std::vector<std::size_t>& variants) {
  std::vector<fs::path> done;
  for (const auto& r : index.runs)
    if (r.status == "done" && (variants.empty() || std::find(variants.begin(), variants.end(), r.variant) != variants.end()))
      done.push_back(index.dir / "runs" / r.name);
  return runs_credit(done);
}

std::vector<IndicatorDifference> indicator_differences(const StudyIndex& index, std::size_t a, std::size_t b) {
  return differences(index, load_all(index), a, b);
}

std::size_t find_variant(const StudyIndex& index, const std::string& name) {
  std::vector<std::string> labels;
  std::size_t by_scenario = index.variants.size(), scenario_count = 0;
  for (std::size_t i = 0; i < index.variants.size(); ++i) {
    if (index.variants[i].label == name) return i;
    if (index.variants[i].scenario == name) by_scenario = i, ++scenario_count;
    labels.push_back(index.variants[i].label);
  }
  if (scenario_count == 1) return by_scenario;
  const std::string near = core::nearest(name, labels);
  throw InputError(Where{(index.dir / "study.json").string(), "", "variant " + name},
                   scenario_count > 1 ? "names several variants of the study (a sweep): give the variant's label"
                   : near.empty()     ? "must be a variant of the study (its label or scenario name)"
                                      : fmt::format("must be a variant of the study; did you mean '{}'?", near),
                   name);
}

std::vector<IndicatorDifference> compare_variants(const StudyIndex& index, std::size_t a, std::size_t b, const fs::path& out_dir,
                                                  bool overwrite, bool quiet) {
  core::Staging st(core::Staging::Spec{out_dir, core::Staging::Kind::directory, "compare", overwrite, index.inputs, "--out"});
  const auto data = load_all(index);
  const auto diffs = differences(index, data, a, b);
  const auto& va = index.variants[a];
  const auto& vb = index.variants[b];
  const core::Credit credit = study_credit(index, {a, b});
  if (diffs.empty())
    throw InputError(Where{(index.dir / "study.json").string(), "", "variants " + va.label + ", " + vb.label},
                     "both variants must have finished runs with a common year", "");
  st.write_and_commit([&](const fs::path& tmp) {
    std::string csv = "year,indicator,n_pairs,mean_a,mean_b,mean_diff,ci95_low,ci95_high,within_noise\n";
    for (const auto& d : diffs)
      csv += fmt::format("{},{},{},{},{},{},{},{},{}\n", d.year, d.indicator, d.diff.n, d.a.n ? num(d.indicator, d.a.mean) : "",
                         d.b.n ? num(d.indicator, d.b.mean) : "", d.diff.n ? num(d.indicator, d.diff.mean) : "",
                         num(d.indicator, d.diff.ci_low), num(d.indicator, d.diff.ci_high),
                         d.diff.distinguishable ? (*d.diff.distinguishable ? "false" : "true") : "");
    core::write_file(tmp / "indicator_diff.csv", csv);
    std::vector<std::string> outputs{"manifest.json", "indicator_diff.csv"};
    if (index.keep != "indicators") {
      const Geometry g = parcel_geometry(index, a);
      const auto pa = parcel_arm(arm(index, data, a), g), pb = parcel_arm(arm(index, data, b), g);
      if (!pa.fields.empty() && !pb.fields.empty()) {
        output::write_parcel_tables(tmp / "parcel_diff.gpkg", index.inputs, g.crs, g.ids, g.shapes,
                                    {difference_table("parcel_diff",
                                                      fmt::format("{} - {}: paired by seed over the study's seeds, final year; "
                                                                  "within_noise = the 95 % interval holds 0",
                                                                  vb.label, va.label),
                                                      pa, pb, g.ids.size())},
                                    credit, about_rows(index, credit, "per-parcel differences " + vb.label + " - " + va.label));
        outputs.push_back("parcel_diff.gpkg");
      }
    }
    core::write_file(tmp / "ATTRIBUTION.txt", credit.text + "\n");
    outputs.push_back("ATTRIBUTION.txt");
    nlohmann::ordered_json m{{"engine", "urbantwin"}, {"kind", "compare"}, {"version", UT_VERSION}, {"study", index.name},
                             {"a", va.label}, {"b", vb.label}, {"seeds", index.seeds}, {"outputs", outputs},
                             {"attribution", credit.text}};
    core::write_file(tmp / "manifest.json", m.dump(2) + "\n");
  });
  if (!quiet) print_variant_differences(index, a, b, out_dir, diffs);
  return diffs;
}

void print_variant_differences(const StudyIndex& index, std::size_t a, std::size_t b, const fs::path& out_dir,
                               const std::vector<IndicatorDifference>& diffs) {
  const auto& va = index.variants[a];
  const auto& vb = index.variants[b];
  const int last = diffs.back().year;
  fmt::print("{} - {} in {} (study {}, paired by seed; 95 % intervals):\n", vb.label, va.label, last, index.name);
  int unchanged = 0;
  std::vector<const IndicatorDifference*> diagnostics;
  for (const auto& d : diffs) {
    if (d.year != last || d.diff.n == 0) continue;
    if (output::indicator_is_diagnostic(d.indicator)) {  // the solver's convergence: not an effect
      diagnostics.push_back(&d);
      continue;
    }
    if (d.diff.mean == 0 && d.diff.sd == 0) {  // the same value in every pair
      ++unchanged;
      continue;
    }
    const std::string ci = d.diff.ci_low ? fmt::format("[{:.4g}, {:.4g}]", *d.diff.ci_low, *d.diff.ci_high) : "(one seed: no interval)";
    const char* verdict = !d.diff.distinguishable ? "" : *d.diff.distinguishable ? "" : "  within noise";
    fmt::print("  {:<36} {:>12.4g} {}{}\n", d.indicator, d.diff.mean, ci, verdict);
  }
  fmt::print("  ({} indicators unchanged in every pair)\n", unchanged);
  for (const auto* d : diagnostics)
    fmt::print("Solver convergence, not an effect: {} mean A {:.4g}, B {:.4g}\n", d->indicator, d->a.mean, d->b.mean);
  fmt::print("wrote {}\n{}\n", out_dir.string(), study_credit(index, {a, b}).text);
}

}  // namespace ut::batch
