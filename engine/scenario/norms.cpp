#include "scenario/norms.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "scenario/limits.hpp"
#include "scenario/norms_read.hpp"
#include "scenario/toml_read.hpp"

namespace ut::scenario {

namespace {

using detail::Reader;
using detail::shown;

// The fields a standards file or a profile sets (a site's capacity is the profile's [facility_capacity]).
const std::vector<std::string>& field_keys() {
  static const std::vector<std::string> keys = {"sources",     "network",     "tier", "radius_m",    "drive_min",
                                                "turnout_min", "min_area_m2", "sfca", "catchment_m", "capacity_unit"};
  return keys;
}

std::vector<std::string> with(std::vector<std::string> keys, std::initializer_list<const char*> more) {
  for (const char* k : more) keys.emplace_back(k);
  return keys;
}

void no_capacity(const Reader& r, const toml::table& t, const std::string& p) {
  if (const toml::node* n = t.get("default_capacity"))
    r.fail(p + "default_capacity",
           "a site's capacity is the city's figure, not a norm: give it in the city profile's [facility_capacity]",
           Reader::show(*n));
}

// Sets the fields `t` holds; `p` is the key prefix for messages ("norm[3].", "norms.park.").
void read_fields(const Reader& r, const toml::table& t, const std::string& p, bool with_capacity, Norm& n) {
  if (t.contains("sources")) {
    n.sources = r.strings(t, p, "sources", true);
    if (n.sources.empty()) r.fail(p + "sources", "must name at least one facility class", "[]");
    for (const auto& s : n.sources)
      if (s.find_first_not_of(" \t") == std::string::npos) r.fail(p + "sources", "must not hold an empty class name", shown(s));
  }
  const std::string net = r.str(t, p, "network", false, n.network == Network::walk ? "walk" : "drive");
  if (net != "walk" && net != "drive") r.fail(p + "network", "must be \"walk\" or \"drive\"", shown(net));
  n.network = net == "walk" ? Network::walk : Network::drive;
  n.tier = static_cast<int>(r.integer(t, p, "tier", false, n.tier, 0, 15));
  if (n.tier != 0 && n.tier != 5 && n.tier != 10 && n.tier != 15)
    r.fail(p + "tier", "must be 0, 5, 10 or 15", std::to_string(n.tier));
  n.radius_m = r.num(t, p, "radius_m", false, n.radius_m, 1, 20000);
  n.drive_min = r.num(t, p, "drive_min", false, n.drive_min, 0, 120);
  n.turnout_min = r.num(t, p, "turnout_min", false, n.turnout_min, 0, 60);
  n.min_area_m2 = r.num(t, p, "min_area_m2", false, n.min_area_m2, 0, 1e9);
  n.sfca = r.boolean(t, p, "sfca", n.sfca);
  n.catchment_m = r.num(t, p, "catchment_m", false, n.catchment_m, 0, 20000);
  if (with_capacity)
    n.default_capacity = r.num(t, p, "default_capacity", false, n.default_capacity, 0, limits::kMaxCapacity);
  n.capacity_unit = r.str(t, p, "capacity_unit", false, n.capacity_unit);
}

// The rules between fields, checked after every layer (standards file, profile, scenario).
void check(const Reader& r, const std::string& p, const Norm& n) {
  if (n.network == Network::walk && n.radius_m <= 0)
    r.fail(p + "radius_m", "required on the walk network (the walking service radius, m)", "");
  if (n.sfca && n.catchment_m <= 0) r.fail(p + "catchment_m", "must be > 0 when sfca = true", fmt::format("{}", n.catchment_m));
  if (n.sfca && n.capacity_unit.find_first_not_of(" \t") == std::string::npos)
    r.fail(p + "capacity_unit", "must name the unit of capacity when sfca = true (\"seats\")", shown(n.capacity_unit));
  if (n.network == Network::drive && n.drive_min <= n.turnout_min)
    r.fail(p + "drive_min", "must exceed turnout_min on the drive network", fmt::format("{}", n.drive_min));
}

// Every field `t` sets needs a source: `source_of.KEY`, else the table's `source`. Returns `source`.
std::string read_sources(const Reader& r, const toml::table& t, const std::string& p, bool required, Norm& n) {
  const std::string common = r.str(t, p, "source", required);
  if (t.contains("source") && common.find_first_not_of(" \t") == std::string::npos)
    r.fail(p + "source", "must name where the figures come from", shown(common));
  const toml::table* per_key = r.table(t, p, "source_of", false);
  if (per_key != nullptr) {
    r.check_keys(*per_key, p + "source_of", field_keys());
    for (const auto& [k, v] : *per_key)
      if (!t.contains(k.str()))
        r.fail(p + "source_of." + std::string(k.str()), "names a field this table does not set", "");
  }
  for (const auto& k : field_keys())
    if (t.contains(k)) n.field_sources[k] = r.key_source(per_key, p + "source_of.", p, k, common, "figure");
  return common;
}

// A class names indicators.csv columns (access_<class>_pct): lower-case ASCII.
void check_class(const Reader& r, const std::string& key, const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 40 && name[0] >= 'a' && name[0] <= 'z' &&
                  std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  if (!ok)
    r.fail(key, "must be 1-40 characters of a-z 0-9 _ starting with a letter (it names indicators.csv columns)", shown(name));
  if (name == "file") r.fail(key, "must not be \"file\" (the key of a profile's [norms] table that names this file)", shown(name));
}

}  // namespace

std::vector<Norm> load_norms(const std::filesystem::path& file) {
  const toml::table root = detail::parse_file(file, "norms");
  const Reader r{file};
  r.check_keys(root, "", {"name", "description", "norm"});
  if (r.str(root, "", "name", true).empty()) r.fail("name", "must not be empty", "\"\"");
  (void)r.str(root, "", "description", false);
  const toml::node* node = root.get("norm");
  if (node == nullptr) r.fail("norm", "required: one [[norm]] table per coverage class", "");
  const toml::array* arr = node->as_array();
  if (arr == nullptr || !arr->is_array_of_tables() || arr->empty())
    r.fail("norm", "must be an array of tables ([[norm]]), one per coverage class", Reader::show(*node));
  std::vector<Norm> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::table& t = *(*arr)[i].as_table();
    const std::string key = fmt::format("norm[{}]", i + 1);
    const std::string p = key + ".";
    no_capacity(r, t, p);
    r.check_keys(t, key, with(field_keys(), {"class", "source", "source_of"}));
    Norm n;
    n.name = r.str(t, p, "class", true);
    check_class(r, p + "class", n.name);
    for (std::size_t j = 0; j < out.size(); ++j)
      if (out[j].name == n.name) r.fail(p + "class", fmt::format("names a class norm[{}] already defines", j + 1), shown(n.name));
    for (const char* k : {"sources", "network", "tier"})
      if (!t.contains(k)) r.fail(p + k, "required key is missing", "");
    read_fields(r, t, p, false, n);
    if (n.network == Network::walk && !t.contains("radius_m"))
      r.fail(p + "radius_m", "required key is missing (the walking service radius of a walk class, m)", "");
    if (n.network == Network::drive && !t.contains("drive_min"))
      r.fail(p + "drive_min", "required key is missing (the drive-time budget of a drive class, min)", "");
    if (n.sfca && !t.contains("catchment_m")) r.fail(p + "catchment_m", "required key is missing when sfca = true", "");
    check(r, p, n);
    n.source_note = read_sources(r, t, p, true, n);
    out.push_back(std::move(n));
  }
  return out;
}

const std::vector<std::string>& norm_keys() {
  static const std::vector<std::string> keys = {"sources",     "network",     "tier",         "radius_m",
                                                "drive_min",   "turnout_min", "min_area_m2",  "sfca",
                                                "catchment_m", "default_capacity", "capacity_unit"};
  return keys;
}

namespace detail {

void override_norms(const Reader& r, const toml::table& norms, const std::vector<std::string>& other_keys,
                    NormLayer layer, std::vector<Norm>& out) {
  std::vector<std::string> names = other_keys;
  for (const auto& n : out) names.push_back(n.name);
  r.check_keys(norms, "norms", names);
  for (auto& n : out) {
    const toml::table* t = r.table(norms, "norms.", n.name, false);
    if (t == nullptr) continue;
    const std::string key = "norms." + n.name;
    const std::string p = key + ".";
    if (layer == NormLayer::profile) {
      no_capacity(r, *t, p);
      r.check_keys(*t, key, with(field_keys(), {"source", "source_of"}));
    } else {
      r.check_keys(*t, key, norm_keys());
    }
    read_fields(r, *t, p, layer == NormLayer::scenario, n);
    check(r, p, n);
    if (layer == NormLayer::profile) {
      (void)read_sources(r, *t, p, false, n);
    } else {
      for (const auto& k : norm_keys())
        if (t->contains(k)) n.field_sources[k] = "scenario " + r.file.string() + " (" + key + ")";
    }
  }
}

}  // namespace detail

}  // namespace ut::scenario
