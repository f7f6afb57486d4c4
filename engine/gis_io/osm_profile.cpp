#include "gis_io/osm_profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <system_error>
#include <toml++/toml.h>

#include "core/error.hpp"
#include "core/suggest.hpp"
#include "scenario/scenario.hpp"

namespace ut::gis_io {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;

const std::vector<std::string>& osm_land_use_categories() {
  static const std::vector<std::string> c = {"residential", "mixed",     "commercial",   "education", "health",
                                             "industrial",  "transport", "park",         "construction", "other"};
  return c;
}

const std::vector<std::string>& osm_facility_classes() {
  static const std::vector<std::string> c = {"kindergarten", "primary_school", "middle_school", "high_school",
                                             "health",       "elderly_care",   "fire_station",  "metro",
                                             "park",         "green_space"};
  return c;
}

namespace {


std::string show(const toml::node& n) {
  if (auto s = n.as_string()) return "\"" + s->get() + "\"";
  if (auto i = n.as_integer()) return std::to_string(i->get());
  if (auto f = n.as_floating_point()) return fmt::format("{}", f->get());
  if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
  if (n.is_array()) return "an array";
  if (n.is_table()) return "a table";
  return "a date or time";
}

struct Reader {
  fs::path file;

  static std::string line_of(const toml::node* n) {
    return n != nullptr && n->source().begin.line > 0 ? fmt::format("line {}", n->source().begin.line) : "";
  }
  [[noreturn]] void fail(const toml::node* at, const std::string& key, const std::string& rule,
                         const std::string& value) const {
    throw InputError(Where{file.string(), line_of(at), "key " + key}, rule, value);
  }
  void check_keys(const toml::table& t, const std::string& prefix, const std::vector<std::string>& allowed) const {
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      const std::string near = core::nearest(key, allowed);
      throw InputError(Where{file.string(), k.source().begin.line > 0 ? fmt::format("line {}", k.source().begin.line) : "",
                             "key " + prefix + "." + key},
                       near.empty() ? fmt::format("unknown key (known: {})", fmt::join(allowed, ", "))
                                    : fmt::format("unknown key; did you mean '{}'?", near),
                       "");
    }
  }
  const toml::table* table(const toml::table& t, const std::string& prefix, const std::string& key,
                           bool required) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) fail(&t, prefix + key, "required table is missing", "");
      return nullptr;
    }
    if (!n->is_table()) fail(n, prefix + key, "must be a table", show(*n));
    return n->as_table();
  }
  std::optional<std::string> str(const toml::table& t, const std::string& prefix, const std::string& key,
                                 bool required) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) fail(&t, prefix + key, "required key is missing", "");
      return std::nullopt;
    }
    if (!n->is_string()) fail(n, prefix + key, "must be a string", show(*n));
    return n->as_string()->get();
  }
  std::optional<double> num(const toml::table& t, const std::string& prefix, const std::string& key, bool required,
                            double lo, double hi, const char* what) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) fail(&t, prefix + key, "required key is missing", "");
      return std::nullopt;
    }
    double v = 0;
    if (auto i = n->as_integer()) v = static_cast<double>(i->get());
    else if (auto f = n->as_floating_point()) v = f->get();
    else fail(n, prefix + key, "must be a number", show(*n));
    if (!(v >= lo && v <= hi)) fail(n, prefix + key, fmt::format("{} must be from {} to {}", what, lo, hi), show(*n));
    return v;
  }
  std::vector<std::string> strings(const toml::table& t, const std::string& prefix, const std::string& key,
                                   bool required) const {
    const toml::node* n = t.get(key);
    std::vector<std::string> out;
    if (n == nullptr) {
      if (required) fail(&t, prefix + key, "required key is missing", "");
      return out;
    }
    const toml::array* a = n->as_array();
    if (a == nullptr) fail(n, prefix + key, "must be an array of strings", show(*n));
    for (const auto& e : *a) {
      if (!e.is_string()) fail(&e, prefix + key, "must be an array of strings", show(e));
      if (e.as_string()->get().empty()) fail(&e, prefix + key, "must not hold an empty string", "\"\"");
      out.push_back(e.as_string()->get());
    }
    return out;
  }
  std::string source(const toml::table& t, const std::string& prefix) const {
    const std::string s = *str(t, prefix, "source", true);
    if (s.empty()) fail(t.get("source"), prefix + "source", "must say where the numbers come from (not empty)", "\"\"");
    return s;
  }
  // Every entry a facility class prepare-osm knows.
  void classes(const toml::node* at, const std::vector<std::string>& v, const std::string& key) const {
    const auto& known = osm_facility_classes();
    for (const auto& c : v)
      if (std::find(known.begin(), known.end(), c) == known.end()) {
        const std::string near = core::nearest(c, known);
        fail(at, key,
             fmt::format("must name facility classes among {}{}", fmt::join(known, ", "),
                         near.empty() ? "" : fmt::format("; did you mean '{}'?", near)),
             "\"" + c + "\"");
      }
  }
};

}  // namespace

OsmProfile load_osm_profile(const fs::path& file) {
  // The scenario's TOML reading (size bound, non-ASCII only in strings and comments, valid TOML).
  const toml::table root = scenario::parse_toml_file(file, "profile");
  Reader r{file};
  OsmProfile p;
  p.file = file;
  // The other top-level tables of a city profile belong to other readers: only [prepare_osm] is read.
  const toml::table* top = r.table(root, "", "prepare_osm", true);
  const std::string P = "prepare_osm";
  r.check_keys(*top, P,
               {"city", "study_area", "edge_lines", "residents", "land_use", "buildings", "schools", "names", "greenways",
                "facilities"});
  p.city = r.str(*top, P + ".", "city", false).value_or("");
  p.study_area = r.str(*top, P + ".", "study_area", false).value_or("");
  if (!p.study_area.empty() && p.study_area != "bounds")
    r.fail(top->get("study_area"), P + ".study_area",
           "must be \"bounds\" (the extract's box, deliberately) or absent (the extract's boundary polygon)",
           "\"" + p.study_area + "\"");

  p.edge_lines = r.str(*top, P + ".", "edge_lines", false).value_or("reach");
  if (p.edge_lines != "reach" && p.edge_lines != "clipped")
    r.fail(top->get("edge_lines"), P + ".edge_lines", "must be \"reach\" (default) or \"clipped\"",
           "\"" + p.edge_lines + "\"");

  // Residents: optional (the command line may give the evidence instead).
  if (const toml::table* t = r.table(*top, P + ".", "residents", false)) {
    const std::string q = P + ".residents";
    r.check_keys(*t, q, {"total", "per_km2", "m2_per_resident", "spread", "source"});
    p.residents_total = r.num(*t, q + ".", "total", false, 0, 2147483647, "a number of residents");
    p.residents_per_km2 = r.num(*t, q + ".", "per_km2", false, 1e-9, 200000, "residents per km2");
    p.m2_per_resident = r.num(*t, q + ".", "m2_per_resident", false, 1, 10000, "residential floor area per resident (m2)");
    p.spread = r.str(*t, q + ".", "spread", false).value_or("land_use");
    if (p.spread != "land_use" && p.spread != "buildings")
      r.fail(t->get("spread"), q + ".spread", "must be \"land_use\" or \"buildings\"", "\"" + p.spread + "\"");
    const int given = p.residents_total.has_value() + p.residents_per_km2.has_value() + p.m2_per_resident.has_value();
    if (given > 1)
      r.fail(t, q, "must give at most one of total, per_km2, m2_per_resident (one method)", fmt::format("{} given", given));
    if (given == 1 || t->get("spread") != nullptr) p.residents_source = r.source(*t, q + ".");
  }

  // Land use: a rule for every category.
  {
    const toml::table* t = r.table(*top, P + ".", "land_use", true);
    const std::string q = P + ".land_use";
    r.check_keys(*t, q, osm_land_use_categories());
    for (const auto& cat : osm_land_use_categories()) {
      const toml::table* c = r.table(*t, q + ".", cat, true);
      const std::string k = q + "." + cat;
      r.check_keys(*c, k, {"far", "residential_share", "source"});
      OsmLandUseRule rule;
      rule.far = *r.num(*c, k + ".", "far", true, 0, 50, "a floor-area ratio");
      rule.residential_share = *r.num(*c, k + ".", "residential_share", true, 0, 1, "a rate");
      rule.source = r.source(*c, k + ".");
      p.land_use[cat] = rule;
    }
  }

  if (const toml::table* t = r.table(*top, P + ".", "buildings", false)) {
    const std::string q = P + ".buildings";
    r.check_keys(*t, q, {"levels", "residential", "non_residential", "source"});
    if (const toml::table* l = r.table(*t, q + ".", "levels", false))
      for (const auto& [k, v] : *l) {
        const std::string key(k.str());
        p.default_levels[key] = *r.num(*l, q + ".levels.", key, true, 0, 200, "a number of levels");
      }
    p.residential_buildings = r.strings(*t, q + ".", "residential", false);
    p.non_residential_buildings = r.strings(*t, q + ".", "non_residential", false);
    p.buildings_source = r.source(*t, q + ".");
  }
  if (p.spread == "buildings" || p.m2_per_resident) {
    if (p.default_levels.count("*") == 0)
      r.fail(top, P + ".buildings.levels.*",
             "residents from buildings need a default number of levels for any building type (key \"*\")", "none");
  }

  {
    const toml::table* t = r.table(*top, P + ".", "schools", true);
    const std::string q = P + ".schools";
    r.check_keys(*t, q, {"unknown_level", "grades", "tags", "source"});
    if (const toml::table* tags = r.table(*t, q + ".", "tags", false))
      for (const auto& [k, v] : *tags) {
        const std::string tag(k.str());
        const std::string kq = q + ".tags." + tag;
        if (tag.empty() || tag.find_first_of(" \t\n=,\"") != std::string::npos)
          r.fail(&v, kq, "must be an OSM key (no blanks, '=', ',' or quotes)", "\"" + tag + "\"");
        const toml::table* values = v.as_table();
        if (values == nullptr) r.fail(&v, kq, "must be a table of tag value = [classes]", show(v));
        for (const auto& [val, cls] : *values) {
          const std::vector<std::string> c = r.strings(*values, kq + ".", std::string(val.str()), true);
          r.classes(&cls, c, kq + "." + std::string(val.str()));
          p.school_tags[tag][std::string(val.str())] = c;
        }
      }
    p.unknown_level = r.strings(*t, q + ".", "unknown_level", true);
    r.classes(t->get("unknown_level"), p.unknown_level, q + ".unknown_level");
    p.unknown_level_source = r.source(*t, q + ".");
    if (const toml::table* g = r.table(*t, q + ".", "grades", false)) {
      r.check_keys(*g, q + ".grades", {"kindergarten", "primary_school", "middle_school", "high_school"});
      for (const auto& [k, v] : *g) {
        const std::string key(k.str());
        const toml::array* a = v.as_array();
        if (a == nullptr || a->size() != 2 || !(*a)[0].is_integer() || !(*a)[1].is_integer() ||
            (*a)[0].as_integer()->get() > (*a)[1].as_integer()->get() || (*a)[0].as_integer()->get() < 0 ||
            (*a)[1].as_integer()->get() > 20)
          r.fail(&v, q + ".grades." + key, "must be [first, last] grades, integers with 0 <= first <= last <= 20", show(v));
        p.grades[key] = {static_cast<double>((*a)[0].as_integer()->get()), static_cast<double>((*a)[1].as_integer()->get())};
      }
    }
  }

  if (const toml::node* n = top->get("names")) {
    const toml::array* a = n->as_array();
    if (a == nullptr || !a->is_array_of_tables())
      r.fail(n, P + ".names", "must be an array of tables ([[prepare_osm.names]])", show(*n));
    std::size_t i = 0;
    for (const auto& e : *a) {
      const toml::table& t = *e.as_table();
      const std::string q = fmt::format("{}.names[{}]", P, ++i);
      r.check_keys(t, q, {"amenity", "contains", "unless", "classes", "source"});
      OsmNameRule rule;
      rule.amenity = r.str(t, q + ".", "amenity", false).value_or("");
      rule.contains = r.strings(t, q + ".", "contains", true);
      if (rule.contains.empty()) r.fail(t.get("contains"), q + ".contains", "must hold at least one name part", "[]");
      rule.unless = r.strings(t, q + ".", "unless", false);
      rule.classes = r.strings(t, q + ".", "classes", true);
      r.classes(t.get("classes"), rule.classes, q + ".classes");
      rule.source = r.source(t, q + ".");
      p.names.push_back(std::move(rule));
    }
  }

  {
    const toml::table* t = r.table(*top, P + ".", "greenways", true);
    const std::string q = P + ".greenways";
    r.check_keys(*t, q, {"river_buffer_m", "rivers", "river_label", "names", "park_share", "designated_routes", "source"});
    p.river_buffer_m = *r.num(*t, q + ".", "river_buffer_m", true, 0, 2000, "a distance (m)");
    p.rivers = r.strings(*t, q + ".", "rivers", true);
    p.river_label = r.str(*t, q + ".", "river_label", false).value_or(p.river_label);
    p.greenway_names = r.strings(*t, q + ".", "names", false);
    p.park_share = *r.num(*t, q + ".", "park_share", true, 0, 1, "a rate");
    if (const toml::node* d = t->get("designated_routes")) {
      if (!d->is_boolean()) r.fail(d, q + ".designated_routes", "must be true or false", show(*d));
      p.designated_routes = d->as_boolean()->get();
    }
    (void)r.source(*t, q + ".");
  }

  {
    const toml::table* t = r.table(*top, P + ".", "facilities", true);
    const std::string q = P + ".facilities";
    r.check_keys(*t, q, {"classes", "capacity", "source"});
    p.classes = r.strings(*t, q + ".", "classes", true);
    r.classes(t->get("classes"), p.classes, q + ".classes");
    if (const toml::table* c = r.table(*t, q + ".", "capacity", false)) {
      r.check_keys(*c, q + ".capacity", osm_facility_classes());
      for (const auto& [k, v] : *c) {
        const std::string key(k.str());
        p.capacity[key] = *r.num(*c, q + ".capacity.", key, true, 0, 1e9, "a capacity");
      }
    }
    p.facilities_source = r.source(*t, q + ".");
  }
  return p;
}

}  // namespace ut::gis_io
