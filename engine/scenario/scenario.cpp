#include "scenario/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <system_error>

#include <sstream>
#include <toml++/toml.h>

#include "core/error.hpp"
#include "core/suggest.hpp"
#include "scenario/limits.hpp"
#include "scenario/norms_read.hpp"
#include "scenario/toml_read.hpp"

namespace ut::scenario {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;

const std::map<std::string, std::string>& default_fields(const std::string& role) {
  static const std::map<std::string, std::map<std::string, std::string>> all = {
      {"parcels", {{"id", "parcel_id"}, {"land_use", "land_use"}, {"residents", "residents"}, {"floor_area", "floor_area_m2"}}},
      {"roads",
       {{"id", "road_id"}, {"class", "class"}, {"speed", "speed_kmh"}, {"lanes", "lanes"}, {"oneway", "oneway"},
        {"walk", "walk"}, {"drive", "drive"}}},
      {"greenways", {{"id", "greenway_id"}, {"name", "name"}, {"level", "level"}}},
      {"facilities",
       {{"id", "facility_id"}, {"classes", "classes"}, {"name", "name"}, {"capacity", "capacity"}, {"area", "area_m2"}}},
      {"buildings", {{"id", "building_id"}, {"type", "building"}, {"levels", "levels"}}},
      {"barriers", {{"id", "barrier_id"}, {"kind", "kind"}}},
  };
  return all.at(role);
}

const std::vector<std::string>& required_fields(const std::string& role) {
  static const std::map<std::string, std::vector<std::string>> all = {
      {"parcels", {"id", "residents"}},
      {"roads", {"id", "class"}},
      {"greenways", {"id"}},
      {"facilities", {"id", "classes"}},
      {"buildings", {"id"}},
      {"barriers", {"id", "kind"}},
  };
  return all.at(role);
}

namespace {

using detail::Reader;
using detail::shown;

// A [layers.ROLE] table.
LayerSpec layer(const Reader& r, const toml::table& layers, const std::string& role, bool required) {
  LayerSpec spec;
  spec.role = role;
  spec.key = "layers." + role;
  spec.fields = default_fields(role);
  const toml::table* t = r.table(layers, "layers.", role, required);
  if (t == nullptr) return spec;
  const std::string p = spec.key + ".";
  r.check_keys(*t, spec.key, {"source", "layer", "fields"});
  const std::string src = r.str(*t, p, "source", true);
  if (src.empty()) r.fail(p + "source", "must not be empty", "\"\"");
  spec.source = fs::path(src).is_absolute() ? fs::path(src) : r.file.parent_path() / src;
  spec.layer = r.str(*t, p, "layer", true);
  if (const toml::table* f = r.table(*t, p, "fields", false)) {
    std::vector<std::string> allowed;
    for (const auto& [k, v] : default_fields(role)) allowed.push_back(k);
    r.check_keys(*f, p + "fields", allowed);
    for (const auto& [k, v] : *f) spec.fields[std::string(k.str())] = r.str(*f, p + "fields.", std::string(k.str()), true);
  }
  return spec;
}

// The run directory is named after the scenario: letters, digits, '.', '_', '-'; no leading '.'.
bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > limits::kMaxNameLength || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

}  // namespace

Scenario load_scenario(const fs::path& file) { return load_scenario(file, {}); }

std::vector<Norm> default_norms(const Profile& p) {
  std::vector<Norm> norms = p.norms;
  for (auto& n : norms)
    if (auto it = p.facility_capacity.find(n.name); it != p.facility_capacity.end()) n.default_capacity = it->second;
  return norms;
}

core::Where where_of(const Scenario& s, const std::string& profile_key) {
  if (auto it = s.profile_set.find(profile_key); it != s.profile_set.end())
    return Where{s.file.string(), "", "key " + it->second};
  return Where{s.profile.file.string(), "", "key " + profile_key};
}

namespace {
// Sets one scalar key of the table by its dotted path; missing tables on the way are created
// (validation then checks every name, with suggestions). Arrays of tables are edited in the file.
void apply_override(toml::table& root, const Override& o, const fs::path& file) {
  const Where where{file.string(), "", o.origin};
  if (o.key.empty() || o.key.front() == '.' || o.key.back() == '.' || o.key.find("..") != std::string::npos)
    throw InputError(where, "KEY must be a dotted path of a scalar key, such as homes.spacing_m", o.key);
  for (const char ch : o.key)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
      throw InputError(where, "KEY may hold only letters, digits, '_', '-' and '.'", o.key);
  for (const char ch : o.value)
    if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x80)
      throw InputError(where, "VALUE must be printable ASCII", o.value);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + o.value);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", o.value}};  // a bare word: a string
  }
  toml::node* v = parsed.get("v");
  if (v == nullptr || v->is_table() || v->is_array())
    throw InputError(where, "VALUE must be a number, a boolean or a string (arrays and tables are edited in the file)", o.value);
  toml::table* t = &root;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = o.key.find('.', start);
    const std::string part = o.key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) {
      if (const toml::node* old = t->get(part); old != nullptr && (old->is_table() || old->is_array()))
        throw InputError(where, "KEY must name a scalar key, not a table or an array", o.key);
      t->insert_or_assign(part, *v);
      return;
    }
    toml::node* next = t->get(part);
    if (next == nullptr) next = &t->insert_or_assign(part, toml::table{}).first->second;
    if (!next->is_table())
      throw InputError(where, fmt::format("KEY: '{}' is not a table (arrays of tables are edited in the file)", o.key.substr(0, dot)), o.key);
    t = next->as_table();
    start = dot + 1;
  }
}
}  // namespace

Scenario load_scenario(const fs::path& file, const std::vector<Override>& overrides) {
  toml::table root = detail::parse_file(file, "scenario");
  for (const auto& o : overrides) apply_override(root, o, file);
  Reader r{file};
  Scenario s;
  s.file = file;
  s.overrides = overrides;
  {
    std::ostringstream os;
    os << root;
    s.effective_toml = os.str();
  }
  r.check_keys(root, "", {"name",         "description", "seed",         "base_year",      "end_year",
                          "crs",          "profile",     "layers",      "norms",        "traffic",        "population",
                          "road_classes", "land_uses",   "add_facility", "add_greenway",   "remove_facility",
                          "rezone",       "add_road",    "close_road",   "add_metro_line", "control_total",
                          "homes"});
  s.name = r.str(root, "", "name", true);
  if (!valid_name(s.name))
    r.fail(
        "name",
        fmt::format("must be 1-{} characters of A-Z a-z 0-9 . _ - not starting with '.' (it names the run directory)",
                    limits::kMaxNameLength),
        s.name.size() > 120 ? shown(s.name.substr(0, 120)) + "..." : shown(s.name));
  s.description = r.str(root, "", "description", false);
  // The seed: a TOML integer, read exactly (two seeds never collapse into one run).
  s.seed =
      static_cast<std::uint64_t>(r.integer(root, "", "seed", false, 1, 0, std::numeric_limits<std::int64_t>::max()));
  s.base_year = static_cast<int>(r.integer(root, "", "base_year", false, 2024, 1900, 2200));
  s.end_year = static_cast<int>(r.integer(root, "", "end_year", false, s.base_year, 1900, 2200));
  if (s.end_year < s.base_year || s.end_year > s.base_year + 100)
    r.fail("end_year", fmt::format("must be between base_year {} and {}", s.base_year, s.base_year + 100), std::to_string(s.end_year));
  s.crs = r.str(root, "", "crs", false);

  // The city profile (docs/profile-format.md), relative to the scenario file: every number of the
  // city the models use. Read first: the tables below may set some of them for this run.
  {
    const std::string prof = r.str(root, "", "profile", true);
    if (prof.empty()) r.fail("profile", "must not be empty", "\"\"");
    const fs::path path = fs::path(prof).is_absolute() ? fs::path(prof) : file.parent_path() / prof;
    r.readable_file(path, "profile");
    s.profile = load_profile(path);
  }

  const toml::table* layers = r.table(root, "", "layers", true);
  r.check_keys(*layers, "layers", {"parcels", "roads", "greenways", "facilities", "buildings", "barriers"});
  s.parcels = layer(r, *layers, "parcels", true);
  s.roads = layer(r, *layers, "roads", true);
  s.greenways = layer(r, *layers, "greenways", false);
  s.facilities = layer(r, *layers, "facilities", true);
  s.buildings = layer(r, *layers, "buildings", false);
  s.barriers = layer(r, *layers, "barriers", false);

  // The profile's norms; the scenario's [norms.<class>] set fields for this run.
  s.norms = default_norms(s.profile);
  if (const toml::table* norms = r.table(root, "", "norms", false))
    detail::override_norms(r, *norms, {}, detail::NormLayer::scenario, s.norms);

  auto set_profile = [&](const toml::table& t, const std::string& table, const std::string& key,
                         const std::string& profile_key, double& ref, double lo, double hi) {
    if (!t.contains(key)) return;
    ref = r.num(t, table + ".", key, true, ref, lo, hi);
    s.profile_set[profile_key] = table + "." + key;
  };
  if (const toml::table* t = r.table(root, "", "traffic", false)) {
    r.check_keys(*t, "traffic", {"enabled", "zone_size_m", "daily_trips_per_resident", "peak_hour_share", "car_occupancy",
                                 "assignment_gap", "feedback_gap", "feedback_iterations", "warm_start", "close_roads",
                                 "assignment_roads", "feedback_from_last_year"});
    auto& tr = s.traffic;
    auto& trips = s.profile.trips;  // the profile's trip rates, set for this run
    const std::string p = "traffic.";
    tr.enabled = r.boolean(*t, p, "enabled", tr.enabled);
    tr.zone_size_m = r.num(*t, p, "zone_size_m", false, tr.zone_size_m, 100, 20000);
    set_profile(*t, "traffic", "daily_trips_per_resident", "trips.daily_trips_per_resident", trips.daily_trips_per_resident, 0, 20);
    set_profile(*t, "traffic", "peak_hour_share", "trips.peak_hour_share", trips.peak_hour_share, 0.01, 1);
    set_profile(*t, "traffic", "car_occupancy", "trips.car_occupancy", trips.car_occupancy, 1, 10);
    tr.assignment_gap = r.num(*t, p, "assignment_gap", false, tr.assignment_gap, 1e-14, 0.1);
    tr.feedback_gap = r.num(*t, p, "feedback_gap", false, tr.feedback_gap, 1e-14, 0.1);
    tr.feedback_iterations =
        static_cast<int>(r.integer(*t, p, "feedback_iterations", false, tr.feedback_iterations, 1, 50));
    tr.warm_start = r.boolean(*t, p, "warm_start", tr.warm_start);
    tr.feedback_from_last_year = r.boolean(*t, p, "feedback_from_last_year", tr.feedback_from_last_year);
    if (const toml::node* n = t->get("close_roads")) {
      const toml::array* a = n->as_array();
      if (a == nullptr) r.fail(p + "close_roads", "must be an array of road ids", Reader::show(*n));
      for (std::size_t i = 0; i < a->size(); ++i) {
        const auto v = (*a)[i].value<std::int64_t>();
        if (!v || !(*a)[i].is_integer()) r.fail(fmt::format("{}close_roads[{}]", p, i + 1), "must be an integer road id", Reader::show((*a)[i]));
        tr.close_roads.push_back(*v);
      }
    }
    // Checked against the road classes (built-in and the scenario's) by sim, which knows them.
    if (const toml::node* n = t->get("assignment_roads")) {
      const toml::array* a = n->as_array();
      if (a == nullptr || a->empty())
        r.fail(p + "assignment_roads", "must be a non-empty array of road class names", Reader::show(*n));
      for (std::size_t i = 0; i < a->size(); ++i) {
        const auto v = (*a)[i].value<std::string>();
        if (!v || !(*a)[i].is_string())
          r.fail(fmt::format("{}assignment_roads[{}]", p, i + 1), "must be a road class name", Reader::show((*a)[i]));
        tr.assignment_roads.push_back(*v);
      }
    }
  }

  // [population]: the model switch, and for this run any of the profile's housing, growth and
  // location-choice numbers (calibration hooks; the profile holds the city's values).
  // [traffic] likewise sets the profile's trip rates (below).
  if (const toml::table* t = r.table(root, "", "population", false)) {
    r.check_keys(*t, "population", {"enabled", "growth_pct_per_year", "vacancy_pct", "new_units_pct_per_year", "unit_floor_m2",
                                    "beta_tier", "beta_park", "beta_greenway", "beta_metro", "beta_school", "beta_commute",
                                    "beta_price", "price_per_km", "price_metro", "price_park"});
    auto& pf = s.profile;
    auto& lc = pf.location_choice;
    s.population.enabled = r.boolean(*t, "population.", "enabled", s.population.enabled);
    set_profile(*t, "population", "growth_pct_per_year", "mobility.growth_pct_per_year", pf.mobility.growth_pct_per_year, -20, 20);
    set_profile(*t, "population", "vacancy_pct", "housing.vacancy_pct", pf.housing.vacancy_pct, 0, 100);
    set_profile(*t, "population", "new_units_pct_per_year", "housing.new_units_pct_per_year", pf.housing.new_units_pct_per_year, 0, 50);
    set_profile(*t, "population", "unit_floor_m2", "housing.unit_floor_m2", pf.housing.unit_floor_m2, 10, 1000);
    for (auto [key, ref] : std::initializer_list<std::pair<const char*, double*>>{
             {"beta_tier", &lc.beta_tier}, {"beta_park", &lc.beta_park}, {"beta_greenway", &lc.beta_greenway},
             {"beta_metro", &lc.beta_metro}, {"beta_school", &lc.beta_school}, {"beta_commute", &lc.beta_commute},
             {"beta_price", &lc.beta_price}, {"price_per_km", &lc.price_per_km}, {"price_metro", &lc.price_metro},
             {"price_park", &lc.price_park}})
      set_profile(*t, "population", key, std::string("location_choice.") + key, *ref, -100, 100);
  }
  // Units grow by this every year: bounded over the horizon (limits.hpp).
  {
    const double pct = s.profile.housing.new_units_pct_per_year;
    const double growth = std::pow(1 + pct / 100, s.end_year - s.base_year);
    if (s.population.enabled && growth > limits::kMaxUnitsGrowth)
      throw InputError(where_of(s, "housing.new_units_pct_per_year"),
                       fmt::format("must not grow the dwelling units more than {}-fold over the {} simulated years "
                                   "(grows {:.3g}-fold)",
                                   limits::kMaxUnitsGrowth, s.end_year - s.base_year, growth),
                       fmt::format("{}", pct));
  }

  // Home points and their attachment to the street (docs/access.md).
  if (const toml::table* t = r.table(root, "", "homes", false)) {
    r.check_keys(*t, "homes",
                 {"spacing_m", "min_building_cover", "default_levels", "residential_types", "generic_types",
                  "attach_max_m", "min_fragment_m", "raster", "raster_band"});
    auto& h = s.homes;
    const std::string p = "homes.";
    h.spacing_m = r.num(*t, p, "spacing_m", false, h.spacing_m, limits::kMinHomeSpacingM, 1000);
    h.min_building_cover = r.num(*t, p, "min_building_cover", false, h.min_building_cover, 0, 1);
    h.default_levels = r.num(*t, p, "default_levels", false, h.default_levels, 0.5, limits::kMaxBuildingLevels);
    if (t->contains("residential_types")) h.residential_types = r.strings(*t, p, "residential_types", true);
    if (t->contains("generic_types")) h.generic_types = r.strings(*t, p, "generic_types", true);
    for (const auto& g : h.generic_types)
      if (std::find(h.residential_types.begin(), h.residential_types.end(), g) != h.residential_types.end())
        r.fail(p + "generic_types", "must not repeat a type of homes.residential_types (a type is one or the other)",
               shown(g));
    h.attach_max_m = r.num(*t, p, "attach_max_m", false, h.attach_max_m, 1, 5000);
    h.min_fragment_m = r.num(*t, p, "min_fragment_m", false, h.min_fragment_m, 0, 100000);
    const std::string raster = r.str(*t, p, "raster", false);
    if (t->contains("raster")) {
      if (raster.empty()) r.fail(p + "raster", "must not be empty", "\"\"");
      h.raster = fs::path(raster).is_absolute() ? fs::path(raster) : file.parent_path() / raster;
      r.readable_file(h.raster, p + "raster");
    }
    h.raster_band =
        static_cast<int>(r.integer(*t, p, "raster_band", false, h.raster_band, 1, std::numeric_limits<int>::max()));
  }

  // Road classes and land uses the scenario adds to the built-in tables (checked against them,
  // and used, by gis_io and sim).
  if (const toml::table* t = r.table(root, "", "road_classes", false)) {
    for (const auto& [k, v] : *t) {
      const std::string name(k.str());
      const std::string key = "road_classes." + name;
      const toml::table* c = r.table(*t, "road_classes.", name, true);
      r.check_keys(*c, key, {"speed_kmh", "lanes", "walk", "drive", "lane_capacity"});
      RoadClass rc;
      rc.speed_kmh = r.num(*c, key + ".", "speed_kmh", true, 0, 1, 200);
      rc.lanes = static_cast<int>(r.integer(*c, key + ".", "lanes", false, 1, 1, limits::kMaxLanes));
      rc.walk = r.boolean(*c, key + ".", "walk", true);
      rc.drive = r.boolean(*c, key + ".", "drive", true);
      rc.lane_capacity = r.num(*c, key + ".", "lane_capacity", false, s.profile.lane_capacity_other, 100, 5000);
      s.road_classes[name] = rc;
    }
  }
  if (const toml::table* t = r.table(root, "", "land_uses", false)) {
    for (const auto& [k, v] : *t) {
      const std::string name(k.str());
      const std::string key = "land_uses." + name;
      const toml::table* c = r.table(*t, "land_uses.", name, true);
      r.check_keys(*c, key, {"residential_share", "job_share"});
      LandUse lu;
      lu.residential_share = r.num(*c, key + ".", "residential_share", false, 0, 0, 1);
      lu.job_share = r.num(*c, key + ".", "job_share", false, 0, 0, 1);
      s.land_uses[name] = lu;
    }
  }

  auto array_of_tables = [&](const std::string& key, auto&& each) {
    const toml::node* n = root.get(key);
    if (n == nullptr) return;
    const toml::array* a = n->as_array();
    if (a == nullptr) r.fail(key, "must be an array of tables ([[" + key + "]])", Reader::show(*n));
    for (std::size_t i = 0; i < a->size(); ++i) {
      const toml::table* t = (*a)[i].as_table();
      const std::string k = fmt::format("{}[{}]", key, i + 1);
      if (t == nullptr) r.fail(k, "must be a table", Reader::show((*a)[i]));
      each(*t, k, k + ".");
    }
  };
  // The year of an intervention: an integer inside the simulated horizon.
  auto year_of = [&](const toml::table& t, const std::string& p) {
    const toml::node* n = t.get("year");
    if (n == nullptr) return s.base_year;
    if (!n->is_integer()) r.fail(p + "year", "must be an integer year", Reader::show(*n));
    const auto y = n->as_integer()->get();
    if (y < s.base_year || y > s.end_year)
      r.fail(p + "year", fmt::format("must be inside the simulated years {}-{}", s.base_year, s.end_year), std::to_string(y));
    return static_cast<int>(y);
  };
  auto ids = [&](const toml::table& t, const std::string& p, const std::string& key, bool required) {
    std::vector<std::int64_t> out;
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) r.fail(p + key, "required key is missing", "");
      return out;
    }
    const toml::array* a = n->as_array();
    if (a == nullptr) r.fail(p + key, "must be an array of integer ids", Reader::show(*n));
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (!(*a)[i].is_integer()) r.fail(fmt::format("{}{}[{}]", p, key, i + 1), "must be an integer id", Reader::show((*a)[i]));
      out.push_back((*a)[i].as_integer()->get());
    }
    if (required && out.empty()) r.fail(p + key, "must name at least one id", "[]");
    return out;
  };
  array_of_tables("add_facility", [&](const toml::table& t, const std::string& k, const std::string& p) {
    r.check_keys(t, k, {"year", "name", "classes", "capacity", "x", "y", "crs", "id"});
    AddFacility f;
    f.key = k;
    if (const toml::node* n = t.get("id")) {
      if (!n->is_integer() || n->as_integer()->get() < 1)
        r.fail(p + "id", "must be a positive integer facility id", Reader::show(*n));
      f.id = n->as_integer()->get();
    }
    f.year = year_of(t, p);
    f.name = r.str(t, p, "name", true);
    f.classes = r.strings(t, p, "classes", true);
    if (f.classes.empty()) r.fail(p + "classes", "must name at least one facility class", "[]");
    f.capacity = r.num(t, p, "capacity", false, -1, 0, limits::kMaxCapacity);
    f.x = r.num(t, p, "x", true, 0, -1e12, 1e12);
    f.y = r.num(t, p, "y", true, 0, -1e12, 1e12);
    f.crs = r.str(t, p, "crs", false, "EPSG:4326");
    s.add_facilities.push_back(std::move(f));
  });
  array_of_tables("add_greenway", [&](const toml::table& t, const std::string& k, const std::string& p) {
    r.check_keys(t, k, {"year", "name", "level", "wkt", "crs", "source", "layer"});
    AddGreenway g;
    g.key = k;
    g.year = year_of(t, p);
    g.name = r.str(t, p, "name", true);
    g.level = r.str(t, p, "level", false, "community");
    g.wkt = r.str(t, p, "wkt", false);
    const std::string src = r.str(t, p, "source", false);
    if (g.wkt.empty() == src.empty()) r.fail(p + "wkt", "give either wkt = \"LINESTRING(...)\" or source (and layer) of a greenways layer", "");
    if (!src.empty()) {
      g.source = fs::path(src).is_absolute() ? fs::path(src) : file.parent_path() / src;
      g.layer = r.str(t, p, "layer", true);
    }
    g.crs = r.str(t, p, "crs", false, "EPSG:4326");
    s.add_greenways.push_back(std::move(g));
  });
  array_of_tables("remove_facility", [&](const toml::table& t, const std::string& k, const std::string& p) {
    r.check_keys(t, k, {"year", "id"});
    RemoveFacility f;
    f.key = k;
    f.year = year_of(t, p);
    const toml::node* n = t.get("id");
    if (n == nullptr) r.fail(p + "id", "required key is missing", "");
    if (!n->is_integer()) r.fail(p + "id", "must be an integer facility id", Reader::show(*n));
    f.id = n->as_integer()->get();
    s.remove_facilities.push_back(f);
  });
  array_of_tables("rezone", [&](const toml::table& t, const std::string& k, const std::string& p) {
    r.check_keys(t, k, {"year", "parcels", "polygon", "crs", "land_use", "far", "units"});
    Rezone z;
    z.key = k;
    z.year = year_of(t, p);
    z.parcels = ids(t, p, "parcels", false);
    z.polygon_wkt = r.str(t, p, "polygon", false);
    if (z.parcels.empty() == z.polygon_wkt.empty()) r.fail(p + "parcels", "give either parcels = [ids] or polygon = \"WKT\"", "");
    z.crs = r.str(t, p, "crs", false, "EPSG:4326");
    z.land_use = r.str(t, p, "land_use", false);
    z.far = r.num(t, p, "far", false, -1, 0, 100);
    z.units = static_cast<double>(
        r.integer(t, p, "units", false, -1, 0, static_cast<std::int64_t>(limits::kMaxUnitsPerParcel)));
    if (z.land_use.empty() && z.far < 0 && z.units < 0) r.fail(k, "must change at least one of land_use, far, units", "");
    s.rezones.push_back(std::move(z));
  });
  array_of_tables("add_road", [&](const toml::table& t, const std::string& k, const std::string& p) {
    r.check_keys(t, k, {"year", "name", "class", "speed_kmh", "lanes", "oneway", "walk", "drive", "wkt", "crs"});
    AddRoad a;
    a.key = k;
    a.year = year_of(t, p);
    a.name = r.str(t, p, "name", false);
    a.road_class = r.str(t, p, "class", true);
    a.speed_kmh = r.num(t, p, "speed_kmh", false, 0, 1, 200);
    a.lanes = static_cast<int>(r.integer(t, p, "lanes", false, 0, 1, limits::kMaxLanes));
    a.oneway = static_cast<int>(r.integer(t, p, "oneway", false, 0, -1, 1));
    a.walk = r.boolean(t, p, "walk", true);
    a.drive = r.boolean(t, p, "drive", true);
    a.wkt = r.str(t, p, "wkt", true);
    a.crs = r.str(t, p, "crs", false, "EPSG:4326");
    s.add_roads.push_back(std::move(a));
  });
  array_of_tables("close_road", [&](const toml::table& t, const std::string& k, const std::string& p) {
    r.check_keys(t, k, {"year", "roads", "to"});
    CloseRoad c;
    c.key = k;
    c.year = year_of(t, p);
    c.roads = ids(t, p, "roads", true);
    const std::string to = r.str(t, p, "to", false, "cars");
    if (to != "cars" && to != "all") r.fail(p + "to", "must be \"cars\" or \"all\"", "\"" + to + "\"");
    c.to_all = to == "all";
    s.close_roads.push_back(std::move(c));
  });
  array_of_tables("add_metro_line", [&](const toml::table& t, const std::string& k, const std::string& p) {
    r.check_keys(t, k, {"year", "name", "stations", "crs"});
    AddMetroLine m;
    m.key = k;
    m.year = year_of(t, p);
    m.name = r.str(t, p, "name", true);
    m.crs = r.str(t, p, "crs", false, "EPSG:4326");
    const toml::node* n = t.get("stations");
    if (n == nullptr) r.fail(p + "stations", "required key is missing", "");
    const toml::array* a = n->as_array();
    if (a == nullptr || a->empty()) r.fail(p + "stations", "must be a non-empty array of {name, x, y} tables", Reader::show(*n));
    for (std::size_t i = 0; i < a->size(); ++i) {
      const std::string sk = fmt::format("{}stations[{}]", p, i + 1);
      const toml::table* st = (*a)[i].as_table();
      if (st == nullptr) r.fail(sk, "must be a table {name, x, y}", Reader::show((*a)[i]));
      r.check_keys(*st, sk, {"name", "x", "y"});
      MetroStation ms;
      ms.name = r.str(*st, sk + ".", "name", true);
      ms.x = r.num(*st, sk + ".", "x", true, 0, -1e12, 1e12);
      ms.y = r.num(*st, sk + ".", "y", true, 0, -1e12, 1e12);
      m.stations.push_back(std::move(ms));
    }
    s.add_metro_lines.push_back(std::move(m));
  });
  array_of_tables("control_total", [&](const toml::table& t, const std::string& k, const std::string& p) {
    r.check_keys(t, k, {"year", "population"});
    ControlTotal c;
    c.key = k;
    if (!t.get("year")) r.fail(p + "year", "required key is missing", "");
    c.year = year_of(t, p);
    if (c.year == s.base_year) r.fail(p + "year", "must be after the base year (the base year's population is the parcels' residents)", std::to_string(c.year));
    c.population =
        static_cast<double>(r.integer(t, p, "population", true, 0, 0, static_cast<std::int64_t>(limits::kMaxPersons)));
    for (const auto& o : s.control_totals)
      if (o.year == c.year) r.fail(p + "year", "each year has one control total; " + o.key + " names it too", std::to_string(c.year));
    s.control_totals.push_back(c);
  });
  std::sort(s.control_totals.begin(), s.control_totals.end(), [](const ControlTotal& a, const ControlTotal& b) { return a.year < b.year; });
  return s;
}

toml::table parse_toml_file(const fs::path& file, const std::string& what) { return detail::parse_file(file, what); }

std::string toml_with_absolute_paths(const Scenario& s, const std::string& name) {
  toml::table root = toml::parse(s.effective_toml);
  if (!name.empty()) root.insert_or_assign("name", name);
  const fs::path dir = fs::absolute(s.file).parent_path();
  auto fix = [&](toml::table* t, const char* key) {
    if (t == nullptr) return;
    if (auto* v = t->get_as<std::string>(key)) {
      const fs::path p(v->get());
      if (!p.is_absolute()) *v = (dir / p).lexically_normal().string();
    }
  };
  fix(&root, "profile");
  if (auto* layers = root.get_as<toml::table>("layers"))
    for (auto& [key, node] : *layers) fix(node.as_table(), "source");
  fix(root.get_as<toml::table>("homes"), "raster");
  if (auto* gws = root.get_as<toml::array>("add_greenway"))
    for (auto& node : *gws) fix(node.as_table(), "source");
  std::ostringstream os;
  os << root;
  return os.str();
}

}  // namespace ut::scenario
