#include "batch/study.hpp"

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/suggest.hpp"

namespace ut::batch {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;

namespace {

constexpr std::size_t kMaxRuns = 100000;  // a study this large is a typo (seeds = 1e9)

struct File {
  fs::path path;
  [[noreturn]] void fail(const std::string& key, const std::string& rule, const std::string& value) const {
    throw InputError(Where{path.string(), "", "key " + key}, rule, value);
  }
  void check_keys(const toml::table& t, const std::string& prefix, const std::vector<std::string>& allowed) const {
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      const std::string near = core::nearest(key, allowed);
      fail(prefix + key, near.empty() ? "unknown key" : fmt::format("unknown key; did you mean '{}'?", near), "");
    }
  }
};

std::string show(const toml::node& n) {
  std::ostringstream os;
  if (const auto* s = n.as_string()) os << '"' << s->get() << '"';
  else if (n.is_table()) os << "a table";
  else if (n.is_array()) os << "an array";
  else n.visit([&](const auto& v) { os << v; });
  return os.str();
}

// A scalar as `urbantwin run --set` takes it: TOML text (strings quoted), ASCII only.
std::string scalar_text(const File& f, const std::string& key, const toml::node& n) {
  std::ostringstream os;
  if (const auto* s = n.as_string()) {
    os << toml::value<std::string>(s->get());  // quoted and escaped
  } else if (n.is_integer() || n.is_floating_point() || n.is_boolean()) {
    n.visit([&](const auto& v) { os << v; });
  } else {
    f.fail(key, "must be a number, a boolean or a string", show(n));
  }
  const std::string text = os.str();
  for (const char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80)
      f.fail(key, "must be printable ASCII (overrides are passed on the command line)", show(n));
  return text;
}

// Leaves of a table as dotted paths: [set.traffic] enabled = false -> traffic.enabled.
void flatten(const toml::table& t, const std::string& prefix, std::vector<std::pair<std::string, const toml::node*>>& out) {
  for (const auto& [k, v] : t) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = v.as_table()) flatten(*sub, key, out);
    else out.emplace_back(key, &v);
  }
}

// A value in a run or variant name: letters, digits, '.', '-' kept; anything else '_'.
std::string name_part(const std::string& text) {
  std::string out;
  for (const char c : text)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return out;
}

std::vector<fs::path> expand(const File& f, const std::string& key, const std::string& pattern) {
  const fs::path base = f.path.parent_path();
  const fs::path full = fs::path(pattern).is_absolute() ? fs::path(pattern) : base / pattern;
  std::vector<fs::path> out;
  if (pattern.find_first_of("*?[") == std::string::npos) {
    if (!fs::is_regular_file(full)) f.fail(key, "must name an existing scenario file (relative to the study file)", pattern);
    out.push_back(full.lexically_normal());
    return out;
  }
  glob_t g{};
  const int rc = ::glob(full.c_str(), 0, nullptr, &g);
  if (rc == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.push_back(fs::path(g.gl_pathv[i]).lexically_normal());
  ::globfree(&g);
  if (out.empty()) f.fail(key, "a pattern must match at least one scenario file (relative to the study file)", pattern);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Study load_study(const fs::path& file, const StudyOptions& options) {
  const File f{file};
  const toml::table root = scenario::parse_toml_file(file, "study");
  f.check_keys(root, "", {"name", "description", "scenarios", "reference", "seeds", "keep", "until", "set", "sweep"});
  Study s;
  s.file = file;

  const auto str = [&](const std::string& key, bool required) -> std::string {
    const toml::node* n = root.get(key);
    if (n == nullptr) {
      if (required) f.fail(key, "is required", "missing");
      return {};
    }
    if (!n->is_string()) f.fail(key, "must be a string", show(*n));
    return n->as_string()->get();
  };
  s.name = str("name", true);
  if (s.name.empty() || s.name.size() > 100 || s.name[0] == '.' || name_part(s.name) != s.name)
    f.fail("name", "must be 1-100 characters of A-Z a-z 0-9 . - not starting with '.' (it names the study directory)",
           s.name);
  s.description = str("description", false);
  s.reference = str("reference", false);

  // Seeds: a count (1..N) or a list of distinct seeds.
  if (options.seeds) {
    if (*options.seeds < 1) throw InputError(Where{file.string(), "", "option --seeds"}, "must be at least 1", std::to_string(*options.seeds));
    for (int i = 1; i <= *options.seeds; ++i) s.seeds.push_back(static_cast<std::uint64_t>(i));
  } else {
    const toml::node* n = root.get("seeds");
    if (n == nullptr) f.fail("seeds", "is required: a count (seeds 1..N) or a list of seeds", "missing");
    if (const auto* c = n->as_integer()) {
      if (c->get() < 1 || c->get() > static_cast<std::int64_t>(kMaxRuns))
        f.fail("seeds", fmt::format("a count must be from 1 to {}", kMaxRuns), show(*n));
      for (std::int64_t i = 1; i <= c->get(); ++i) s.seeds.push_back(static_cast<std::uint64_t>(i));
    } else if (const auto* a = n->as_array()) {
      if (a->empty()) f.fail("seeds", "must list at least one seed", "[]");
      std::set<std::int64_t> seen;
      for (std::size_t i = 0; i < a->size(); ++i) {
        const auto* v = (*a)[i].as_integer();
        const std::string k = fmt::format("seeds[{}]", i);
        if (v == nullptr || v->get() < 0) f.fail(k, "must be a whole number from 0 to 2^63-1", show((*a)[i]));
        if (!seen.insert(v->get()).second) f.fail(k, "seeds must be distinct", show((*a)[i]));
        s.seeds.push_back(static_cast<std::uint64_t>(v->get()));
      }
    } else {
      f.fail("seeds", "must be a count (seeds 1..N) or a list of seeds", show(*n));
    }
  }

  const std::string keep = str("keep", false);
  if (keep.empty() || keep == "indicators") s.keep = output::Keep::indicators;
  else if (keep == "+parcels" || keep == "parcels") s.keep = output::Keep::parcels;
  else if (keep == "full") s.keep = output::Keep::full;
  else f.fail("keep", "must be \"indicators\", \"+parcels\" or \"full\"", keep);

  if (options.until) {
    s.until = options.until;
  } else if (const toml::node* n = root.get("until")) {
    const auto* v = n->as_integer();
    if (v == nullptr || v->get() < 1 || v->get() > 9999) f.fail("until", "must be a year", show(*n));
    s.until = static_cast<int>(v->get());
  }

  // [set]: every run; [sweep]: the points (grid: every combination; zip: the i-th values together).
  std::vector<scenario::Override> set;
  if (const toml::node* n = root.get("set")) {
    if (!n->is_table()) f.fail("set", "must be a table of scenario keys and values", show(*n));
    std::vector<std::pair<std::string, const toml::node*>> leaves;
    flatten(*n->as_table(), "", leaves);
    for (const auto& [k, v] : leaves) {
      if (k == "seed") f.fail("set.seed", "the study's seeds give each run its seed (key seeds)", show(*v));
      set.push_back({k, scalar_text(f, "set." + k, *v), "study " + file.filename().string() + ": set." + k});
    }
  }
  std::vector<std::vector<scenario::Override>> points{{}};
  if (const toml::node* n = root.get("sweep")) {
    if (!n->is_table()) f.fail("sweep", "must be a table: mode and lists of values by scenario key", show(*n));
    std::string mode = "grid";
    std::vector<std::pair<std::string, const toml::node*>> leaves;
    flatten(*n->as_table(), "", leaves);
    std::vector<std::pair<std::string, std::vector<std::string>>> lists;
    for (const auto& [k, v] : leaves) {
      if (k == "mode") {
        if (!v->is_string() || (v->as_string()->get() != "grid" && v->as_string()->get() != "zip"))
          f.fail("sweep.mode", "must be \"grid\" (every combination) or \"zip\" (the i-th values together)", show(*v));
        mode = v->as_string()->get();
        continue;
      }
      if (k == "seed") f.fail("sweep.seed", "the study's seeds give each run its seed (key seeds)", show(*v));
      const auto* a = v->as_array();
      if (a == nullptr || a->empty()) f.fail("sweep." + k, "must be a non-empty list of values", show(*v));
      std::vector<std::string> values;
      for (std::size_t i = 0; i < a->size(); ++i) values.push_back(scalar_text(f, fmt::format("sweep.{}[{}]", k, i), (*a)[i]));
      lists.emplace_back(k, std::move(values));
    }
    if (!lists.empty()) {
      const std::string origin = "study " + file.filename().string() + ": sweep.";
      if (mode == "zip") {
        for (const auto& [k, v] : lists)
          if (v.size() != lists[0].second.size())
            f.fail("sweep." + k, fmt::format("with mode = \"zip\" every list must have {} values (as sweep.{})", lists[0].second.size(), lists[0].first),
                   fmt::format("{} values", v.size()));
        points.assign(lists[0].second.size(), {});
        for (std::size_t i = 0; i < points.size(); ++i)
          for (const auto& [k, v] : lists) points[i].push_back({k, v[i], origin + k});
      } else {
        for (const auto& [k, v] : lists) {
          std::vector<std::vector<scenario::Override>> next;
          for (const auto& p : points)
            for (const auto& value : v) {
              next.push_back(p);
              next.back().push_back({k, value, origin + k});
            }
          points = std::move(next);
          if (points.size() > kMaxRuns) f.fail("sweep." + k, fmt::format("the grid must have at most {} points", kMaxRuns), std::to_string(points.size()));
        }
      }
    }
  }
  s.sweep_points = points.size();

  // Scenarios: paths or globs relative to the study file, each loaded with every sweep point's
  // overrides (as its runs will load it).
  const toml::node* sn = root.get("scenarios");
  if (sn == nullptr) f.fail("scenarios", "is required: a list of scenario files or patterns (relative to the study file)", "missing");
  std::vector<std::pair<std::string, std::string>> patterns;  // key, pattern
  if (const auto* one = sn->as_string()) patterns.emplace_back("scenarios", one->get());
  else if (const auto* a = sn->as_array()) {
    if (a->empty()) f.fail("scenarios", "must list at least one scenario file or pattern", "[]");
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (!(*a)[i].is_string()) f.fail(fmt::format("scenarios[{}]", i), "must be a path or pattern (a string)", show((*a)[i]));
      patterns.emplace_back(fmt::format("scenarios[{}]", i), (*a)[i].as_string()->get());
    }
  } else {
    f.fail("scenarios", "must be a list of scenario files or patterns", show(*sn));
  }
  std::vector<std::pair<std::string, fs::path>> files;
  for (const auto& [key, pattern] : patterns)
    for (const auto& p : expand(f, key, pattern)) files.emplace_back(key, p);

  std::map<std::string, std::string> names;  // run-name prefix -> where it came from
  for (const auto& [key, path] : files) {
    for (std::size_t j = 0; j < points.size(); ++j) {
      Variant v;
      v.file = path;
      v.sweep = j;
      v.overrides = set;
      v.overrides.insert(v.overrides.end(), points[j].begin(), points[j].end());
      scenario::Scenario sc;
      try {
        sc = scenario::load_scenario(path, v.overrides);
      } catch (const InputError& e) {
        throw InputError(Where{file.string(), "", "key " + key}, "every scenario must load with the study's overrides: " + std::string(e.what()),
                         path.string());
      }
      v.scenario = sc.name;
      v.base_year = sc.base_year;
      v.end_year = sc.end_year;
      v.traffic = sc.traffic.enabled;
      if (s.until) {
        if (*s.until < sc.base_year || *s.until > sc.end_year)
          throw InputError(Where{file.string(), "", options.until ? "option --until" : "key until"},
                           fmt::format("must be a year every scenario simulates ({}: {}..{})", path.string(), sc.base_year, sc.end_year),
                           std::to_string(*s.until));
        v.end_year = *s.until;
      }
      v.label = sc.name;
      for (const auto& o : points[j]) {
        v.label += "_" + name_part(o.key) + "=" + name_part(o.value);
        v.overrides_text += (v.overrides_text.empty() ? "" : ";") + o.key + "=" + o.value;
      }
      if (!set.empty()) {
        std::string all;
        for (const auto& o : v.overrides) all += (all.empty() ? "" : ";") + o.key + "=" + o.value;
        v.overrides_text = all;
      }
      const auto [it, fresh] = names.emplace(v.label, key + " (" + path.string() + ")");
      if (!fresh)
        throw InputError(Where{file.string(), "", "key " + key},
                         fmt::format("run names must be unique: scenario '{}' is also given by {} (a scenario listed twice, or two scenarios of one name)",
                                     sc.name, it->second),
                         path.string());
      s.variants.push_back(std::move(v));
    }
  }
  if (s.variants.size() * s.seeds.size() > kMaxRuns)
    f.fail("seeds", fmt::format("a study must have at most {} runs", kMaxRuns), std::to_string(s.variants.size() * s.seeds.size()));

  // Reference: a scenario of the study, compared at the same sweep point.
  s.reference_of.assign(s.variants.size(), std::string::npos);
  if (!s.reference.empty()) {
    std::vector<std::string> known;
    for (const auto& v : s.variants) known.push_back(v.scenario);
    if (std::find(known.begin(), known.end(), s.reference) == known.end()) {
      const std::string near = core::nearest(s.reference, known);
      f.fail("reference", near.empty() ? "must be the name of a scenario of the study" : fmt::format("must be the name of a scenario of the study; did you mean '{}'?", near),
             s.reference);
    }
    for (std::size_t i = 0; i < s.variants.size(); ++i)
      for (std::size_t r = 0; r < s.variants.size(); ++r)
        if (s.variants[r].scenario == s.reference && s.variants[r].sweep == s.variants[i].sweep) s.reference_of[i] = r;
  }

  for (std::size_t i = 0; i < s.variants.size(); ++i) {
    const auto& v = s.variants[i];
    const double cost = static_cast<double>(v.end_year - v.base_year + 1) * (v.traffic ? 10.0 : 1.0);
    for (const auto seed : s.seeds) s.runs.push_back({fmt::format("{}_seed-{}", v.label, seed), i, seed, cost});
  }
  return s;
}

std::vector<scenario::Override> run_overrides(const Study& s, const RunSpec& r) {
  auto out = s.variants[r.variant].overrides;
  out.push_back({"seed", std::to_string(r.seed), "option --seed " + std::to_string(r.seed)});
  return out;
}

std::vector<std::string> run_arguments(const Study& s, const RunSpec& r, const fs::path& out_dir, unsigned threads, bool overwrite) {
  const auto& v = s.variants[r.variant];
  std::vector<std::string> a{"run", v.file.string(), "--out", out_dir.string(), "--quiet", "--keep", output::keep_name(s.keep),
                             "--seed", std::to_string(r.seed), "--threads", std::to_string(std::max(1u, threads))};
  if (s.until) {
    a.push_back("--until");
    a.push_back(std::to_string(*s.until));
  }
  for (const auto& o : v.overrides) {
    a.push_back("--set");
    a.push_back(o.key + "=" + o.value);
  }
  if (overwrite) a.push_back("--overwrite");
  return a;
}

}  // namespace ut::batch
