#include "scenario/profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/suggest.hpp"
#include "scenario/limits.hpp"
#include "scenario/norms.hpp"
#include "scenario/norms_read.hpp"
#include "scenario/toml_read.hpp"

namespace ut::scenario {

namespace {

using detail::Reader;
using detail::shown;

// One number of a table: its key, where it goes, its range.
struct Number {
  const char* key;
  double* ref;
  double lo, hi;
};

// One per-band (or per-size) array of a table: `size` numbers, each in [lo, hi].
struct Array {
  const char* key;
  double* data;
  std::size_t size;
  double lo, hi;
};

const char* const kBands = "one per age band 0-4, 5-9, ..., 80-84, 85+";

class ProfileReader {
 public:
  ProfileReader(const std::filesystem::path& file, Profile& out) : r_{file}, out_(out) {}

  // A table whose every key is one of `numbers` or `arrays` (all required), each covered by a
  // source: the table's `source` or its `sources.KEY`.
  void read(const toml::table& root, const std::string& name, const std::vector<Number>& numbers,
            const std::vector<Array>& arrays) {
    const toml::table* t = r_.table(root, "", name, true);
    std::vector<std::string> keys;
    for (const auto& n : numbers) keys.emplace_back(n.key);
    for (const auto& a : arrays) keys.emplace_back(a.key);
    std::vector<std::string> allowed = keys;
    allowed.emplace_back("source");
    allowed.emplace_back("sources");
    r_.check_keys(*t, name, allowed);
    const std::string p = name + ".";
    for (const auto& n : numbers) *n.ref = r_.num(*t, p, n.key, true, 0, n.lo, n.hi);
    for (const auto& a : arrays) array(*t, p, a);
    sources(*t, name, keys, "");
  }

  // [land_uses.NAME] tables; [land_uses] may hold a `source` for all of them.
  void land_uses(const toml::table& root) {
    const toml::table* t = r_.table(root, "", "land_uses", true);
    const std::string common = source_string(*t, "land_uses.");
    for (const auto& [k, v] : *t) {
      const std::string name(k.str());
      if (name == "source") continue;
      const std::string key = "land_uses." + name;
      const toml::table* lu = r_.table(*t, "land_uses.", name, true);
      r_.check_keys(*lu, key, {"residential_share", "job_share", "source", "sources"});
      LandUse rule;
      rule.residential_share = r_.num(*lu, key + ".", "residential_share", true, 0, 0, 1);
      rule.job_share = r_.num(*lu, key + ".", "job_share", true, 0, 0, 1);
      sources(*lu, key, {"residential_share", "job_share"}, common);
      out_.land_uses[name] = rule;
    }
    if (out_.land_uses.empty()) r_.fail("land_uses", "must declare at least one land use ([land_uses.NAME])", "");
  }

  // [road_capacity]: veh/h per lane by road class, `other` for every class not listed.
  void road_capacity(const toml::table& root) {
    const toml::table* t = r_.table(root, "", "road_capacity", true);
    std::vector<std::string> keys;
    for (const auto& [k, v] : *t) {
      const std::string name(k.str());
      if (name == "source" || name == "sources") continue;
      const double c = r_.num(*t, "road_capacity.", name, true, 0, 100, 5000);
      if (name == "other")
        out_.lane_capacity_other = c;
      else
        out_.lane_capacity[name] = c;
      keys.push_back(name);
    }
    if (!t->contains("other")) r_.fail("road_capacity.other", "required key is missing", "");
    sources(*t, "road_capacity", keys, "");
  }

  // [norms]: the standards file (relative to the profile) and the profile's overrides of its classes.
  void norms(const toml::table& root) {
    if (!root.contains("norms"))
      r_.fail("norms",
              "required table is missing: name the planning norms of the coverage classes, e.g. [norms] file = "
              "\"../norms/gb50180-2018.toml\" (docs/profile-format.md)",
              "");
    const toml::table* t = r_.table(root, "", "norms", true);
    const std::string f = r_.str(*t, "norms.", "file", true);
    if (f.empty()) r_.fail("norms.file", "must not be empty", "\"\"");
    const std::filesystem::path path = std::filesystem::path(f).is_absolute() ? std::filesystem::path(f) : r_.file.parent_path() / f;
    r_.readable_file(path, "norms.file");
    out_.norms_file = path;
    out_.norms = load_norms(path);
    detail::override_norms(r_, *t, {"file"}, detail::NormLayer::profile, out_.norms);
  }

  // [facility_capacity]: the capacity of a site whose layer gives none, by coverage class.
  void facility_capacity(const toml::table& root, const std::vector<std::string>& classes) {
    const toml::table* t = r_.table(root, "", "facility_capacity", true);
    std::vector<std::string> allowed = classes;
    allowed.emplace_back("source");
    allowed.emplace_back("sources");
    r_.check_keys(*t, "facility_capacity", allowed);
    std::vector<std::string> keys;
    for (const auto& c : classes)
      if (t->contains(c)) {
        out_.facility_capacity[c] = r_.num(*t, "facility_capacity.", c, true, 0, 0, limits::kMaxCapacity);
        keys.push_back(c);
      }
    sources(*t, "facility_capacity", keys, "");
  }

  // [[compliance]]: optional array of tables, each naming an indicator of the run.
  void compliance(const toml::table& root) {
    const toml::node* n = root.get("compliance");
    if (n == nullptr) return;
    const toml::array* arr = n->as_array();
    if (arr == nullptr || !arr->is_array_of_tables())
      r_.fail("compliance", "must be an array of tables ([[compliance]])", Reader::show(*n));
    const std::vector<std::string> indicators = compliance_indicators(out_.norms);
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::table& t = *(*arr)[i].as_table();
      const std::string key = fmt::format("compliance[{}]", i + 1);
      const std::string p = key + ".";
      r_.check_keys(t, key, {"indicator", "op", "target", "norm", "clause", "source"});
      ComplianceNorm c;
      c.indicator = r_.str(t, p, "indicator", true);
      if (std::find(indicators.begin(), indicators.end(), c.indicator) == indicators.end()) {
        const std::string near = core::nearest(c.indicator, indicators);
        r_.fail(p + "indicator",
                near.empty() ? "must name a column of indicators.csv (docs/indicators.md)"
                             : fmt::format("must name a column of indicators.csv; did you mean '{}'?", near),
                shown(c.indicator));
      }
      const std::string op = r_.str(t, p, "op", true);
      if (op == ">=") c.op = CompareOp::ge;
      else if (op == "<=") c.op = CompareOp::le;
      else if (op == ">") c.op = CompareOp::gt;
      else if (op == "<") c.op = CompareOp::lt;
      else r_.fail(p + "op", "must be one of \">=\", \"<=\", \">\", \"<\"", shown(op));
      c.target = r_.num(t, p, "target", true, 0, -1e12, 1e12);
      for (auto [k, ref] : std::initializer_list<std::pair<const char*, std::string*>>{
               {"norm", &c.norm}, {"clause", &c.clause}, {"source", &c.source}}) {
        *ref = r_.str(t, p, k, true);
        if (ref->find_first_not_of(" \t") == std::string::npos)
          r_.fail(p + k, std::string("must not be empty") + (std::string(k) == "source" ? ": every number needs a source" : ""),
                  shown(*ref));
      }
      out_.compliance.push_back(std::move(c));
    }
  }

  const Reader& reader() const { return r_; }

 private:
  Reader r_;
  Profile& out_;

  void array(const toml::table& t, const std::string& p, const Array& a) const {
    const toml::node* n = t.get(a.key);
    if (n == nullptr) r_.fail(p + a.key, "required key is missing", "");
    const toml::array* arr = n->as_array();
    const std::string rule =
        a.size == kProfileAgeBands
            ? fmt::format("must be an array of {} numbers ({})", a.size, kBands)
            : fmt::format("must be an array of {} numbers (households of 1, 2, ..., 5, 6 or more)", a.size);
    if (arr == nullptr) r_.fail(p + a.key, rule, Reader::show(*n));
    if (arr->size() != a.size) r_.fail(p + a.key, rule, fmt::format("an array of {}", arr->size()));
    for (std::size_t i = 0; i < a.size; ++i) {
      const toml::node& e = (*arr)[i];
      const std::string key = fmt::format("{}{}[{}]", p, a.key, i + 1);
      double v = 0;
      if (auto k = e.as_integer())
        v = static_cast<double>(k->get());
      else if (auto f = e.as_floating_point())
        v = f->get();
      else
        r_.fail(key, "must be a number", Reader::show(e));
      if (!(v >= a.lo && v <= a.hi)) r_.fail(key, fmt::format("must be in [{}, {}]", a.lo, a.hi), Reader::show(e));
      a.data[i] = v;
    }
  }

  std::string source_string(const toml::table& t, const std::string& p) const {
    const std::string s = r_.str(t, p, "source", false);
    if (t.contains("source") && s.find_first_not_of(" \t") == std::string::npos)
      r_.fail(p + "source", "must name where the numbers come from", shown(s));
    return s;
  }

  // Every key of `keys` needs a source: `sources.KEY`, else the table's `source`, else `inherited`.
  void sources(const toml::table& t, const std::string& name, const std::vector<std::string>& keys,
               const std::string& inherited) {
    const std::string p = name + ".";
    std::string common = source_string(t, p);
    if (common.empty()) common = inherited;
    const toml::table* per_key = r_.table(t, p, "sources", false);
    if (per_key != nullptr) r_.check_keys(*per_key, p + "sources", keys);
    for (const auto& k : keys) out_.sources[p + k] = r_.key_source(per_key, p + "sources.", p, k, common, "number");
  }
};

// A share table must add up: age shares to 100 %, household sizes to 1.
void check_sum(const Reader& r, const std::string& key, const double* v, std::size_t n, double total,
               double tolerance) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += v[i];
  if (!(std::abs(sum - total) <= tolerance))
    r.fail(key, fmt::format("must add up to {} (within {})", total, tolerance), fmt::format("a sum of {}", sum));
}

}  // namespace

Profile load_profile(const std::filesystem::path& file) {
  const toml::table root = detail::parse_file(file, "profile");
  Profile p;
  p.file = file;
  ProfileReader pr(file, p);
  const Reader& r = pr.reader();
  // [prepare_osm] is read by `urbantwin prepare-osm` (docs/profile-format.md), never here.
  r.check_keys(root, "",
               {"name", "description", "demography", "mortality", "mobility", "housing", "location_choice", "trips",
                "modes", "land_uses", "road_capacity", "norms", "facility_capacity", "compliance", "prepare_osm"});
  p.name = r.str(root, "", "name", true);
  if (p.name.empty()) r.fail("name", "must not be empty", "\"\"");
  p.description = r.str(root, "", "description", false);

  auto& d = p.demography;
  const std::size_t nb = kProfileAgeBands;
  pr.read(root, "demography", {{"male_at_birth", &d.male_at_birth, 0, 1}},
          {{"age_share_pct", d.age_share_pct.data(), nb, 0, 100},
           {"male_share", d.male_share.data(), nb, 0, 1},
           {"household_size", d.household_size.data(), kProfileSizes, 0, 1},
           {"fertility", d.fertility.data(), nb, 0, 1},
           {"leave_home", d.leave_home.data(), nb, 0, 1},
           {"employment", d.employment.data(), nb, 0, 1},
           {"enrolment", d.enrolment.data(), nb, 0, 1}});
  check_sum(r, "demography.age_share_pct", d.age_share_pct.data(), nb, 100, 0.5);
  check_sum(r, "demography.household_size", d.household_size.data(), kProfileSizes, 1, 1e-3);

  auto& m = p.mortality;
  pr.read(root, "mortality",
          {{"gompertz_a", &m.gompertz_a, 0, 1},
           {"gompertz_b", &m.gompertz_b, 0, 1},
           {"makeham", &m.makeham, 0, 1},
           {"infant", &m.infant, 0, 1},
           {"male_factor", &m.male_factor, 0, 10},
           {"female_factor", &m.female_factor, 0, 10}},
          {});

  pr.read(root, "mobility", {{"growth_pct_per_year", &p.mobility.growth_pct_per_year, -20, 20}},
          {{"move", p.mobility.move.data(), nb, 0, 1}});

  auto& h = p.housing;
  pr.read(root, "housing",
          {{"vacancy_pct", &h.vacancy_pct, 0, 100},
           {"new_units_pct_per_year", &h.new_units_pct_per_year, 0, 50},
           {"unit_floor_m2", &h.unit_floor_m2, 10, 1000}},
          {});

  auto& lc = p.location_choice;
  std::vector<Number> coefficients;
  for (auto [key, ref] : std::initializer_list<std::pair<const char*, double*>>{{"beta_tier", &lc.beta_tier},
                                                                                {"beta_park", &lc.beta_park},
                                                                                {"beta_greenway", &lc.beta_greenway},
                                                                                {"beta_metro", &lc.beta_metro},
                                                                                {"beta_school", &lc.beta_school},
                                                                                {"beta_commute", &lc.beta_commute},
                                                                                {"beta_price", &lc.beta_price},
                                                                                {"price_per_km", &lc.price_per_km},
                                                                                {"price_metro", &lc.price_metro},
                                                                                {"price_park", &lc.price_park}})
    coefficients.push_back({key, ref, -100, 100});
  pr.read(root, "location_choice", coefficients, {});

  auto& t = p.trips;
  pr.read(root, "trips",
          {{"daily_trips_per_resident", &t.daily_trips_per_resident, 0, 20},
           {"peak_hour_share", &t.peak_hour_share, 0.01, 1},
           {"car_occupancy", &t.car_occupancy, 1, 10},
           {"floor_m2_per_job", &t.floor_m2_per_job, 1, 1000}},
          {});

  auto& mo = p.modes;
  pr.read(root, "modes",
          {{"beta_time", &mo.beta_time, -10, 0},
           {"asc_car", &mo.asc_car, -100, 100},
           {"asc_transit", &mo.asc_transit, -100, 100},
           {"car_terminal_min", &mo.car_terminal_min, 0, 120},
           {"beta_greenway", &mo.beta_greenway, -100, 100},
           {"walk_m_per_min", &mo.walk_m_per_min, 1, 1000},
           {"bike_m_per_min", &mo.bike_m_per_min, 1, 2000},
           {"bike_overhead_min", &mo.bike_overhead_min, 0, 60},
           {"metro_m_per_min", &mo.metro_m_per_min, 1, 5000},
           {"metro_detour", &mo.metro_detour, 1, 5},
           {"metro_wait_min", &mo.metro_wait_min, 0, 120},
           {"intrazonal_car_kmh", &mo.intrazonal_car_kmh, 1, 200}},
          {});

  pr.land_uses(root);
  pr.road_capacity(root);
  pr.norms(root);
  std::vector<std::string> classes;
  for (const auto& n : p.norms) classes.push_back(n.name);
  pr.facility_capacity(root, classes);
  pr.compliance(root);
  return p;
}

const char* op_text(CompareOp op) {
  switch (op) {
    case CompareOp::ge: return ">=";
    case CompareOp::le: return "<=";
    case CompareOp::gt: return ">";
    case CompareOp::lt: return "<";
  }
  return "?";
}

std::vector<std::string> compliance_indicators(const std::vector<Norm>& norms) {
  std::vector<std::string> out{"population", "coverage_5min_pct", "coverage_10min_pct", "coverage_15min_pct"};
  for (const auto& n : norms) out.push_back("access_" + n.name + "_pct");
  for (const char* c : {"park_500m_pct", "green_300m_pct", "greenway_access_pct", "metro_800m_pct", "fire_5min_pct"}) out.emplace_back(c);
  for (const auto& n : norms)
    if (n.sfca) out.push_back("supply_" + n.name + "_per_1000");
  for (const char* c : {"park_m2_per_capita", "greenway_km", "households", "unplaced_households", "dwelling_units", "mean_age",
                        "births", "deaths", "net_migration", "movers", "school_seat_balance", "mean_commute_min",
                        "green_mode_share_pct", "congestion_index", "vkt_million", "assignment_relative_gap"})
    out.emplace_back(c);
  return out;
}

double lane_capacity(const Profile& p, const std::string& road_class) {
  auto it = p.lane_capacity.find(road_class);
  return it == p.lane_capacity.end() ? p.lane_capacity_other : it->second;
}

}  // namespace ut::scenario
