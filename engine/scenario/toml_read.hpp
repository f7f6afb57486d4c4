#pragma once
// Reading TOML input files (scenario, city profile): the file's bytes with every failure named,
// the ASCII check before toml++ sees the text, and typed key readers whose errors are
// core::InputError naming the file and the key. Internal to the scenario module.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include <toml++/toml.h>

#include "core/error.hpp"
#include "core/suggest.hpp"

namespace ut::scenario::detail {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;

// A string as a message shows it: control characters escaped (a newline stays on one line).
std::string shown(const std::string& v);

// The file parsed as TOML. `what` names the kind of file in messages ("scenario", "profile"):
// a readable regular file of bounded size, non-ASCII bytes only inside strings and comments,
// valid TOML.
toml::table parse_file(const fs::path& file, const std::string& what);

struct Reader {
  fs::path file;

  [[noreturn]] void fail(const std::string& key, const std::string& rule, const std::string& value) const {
    throw InputError(Where{file.string(), "", "key " + key}, rule, value);
  }

  static std::string show(const toml::node& n) {
    if (auto s = n.as_string()) return shown(s->get());
    if (auto i = n.as_integer()) return std::to_string(i->get());
    if (auto f = n.as_floating_point()) return fmt::format("{}", f->get());
    if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
    if (n.is_array()) return "an array";
    if (n.is_table()) return "a table";
    return "a date or time";
  }

  void check_keys(const toml::table& t, const std::string& prefix, const std::vector<std::string>& allowed) const {
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      const std::string near = core::nearest(key, allowed);
      const std::string full = prefix.empty() ? key : prefix + "." + key;
      // A key without a position came from the command line (--set).
      throw InputError(Where{file.string(), k.source().begin.line > 0 ? fmt::format("line {}", k.source().begin.line) : "option --set",
                             "key " + full},
                       near.empty() ? "unknown key" : fmt::format("unknown key; did you mean '{}'?", near), "");
    }
  }

  std::string str(const toml::table& t, const std::string& prefix, const std::string& key, bool required,
                  const std::string& fallback = "") const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) fail(prefix + key, "required key is missing", "");
      return fallback;
    }
    if (!n->is_string()) fail(prefix + key, "must be a string", show(*n));
    return n->as_string()->get();
  }

  // An integer key: a TOML integer read exactly (a float, even 2.0, is rejected rather than
  // truncated or rounded), inside [lo, hi].
  std::int64_t integer(const toml::table& t, const std::string& prefix, const std::string& key, bool required,
                       std::int64_t fallback, std::int64_t lo, std::int64_t hi) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) fail(prefix + key, "required key is missing", "");
      return fallback;
    }
    if (!n->is_integer())
      fail(prefix + key,
           n->is_floating_point() ? "must be an integer (without a decimal point or exponent)" : "must be an integer",
           show(*n));
    const std::int64_t v = n->as_integer()->get();
    if (v < lo || v > hi) fail(prefix + key, fmt::format("must be in [{}, {}]", lo, hi), show(*n));
    return v;
  }

  double num(const toml::table& t, const std::string& prefix, const std::string& key, bool required, double fallback,
             double lo, double hi) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) fail(prefix + key, "required key is missing", "");
      return fallback;
    }
    double v = 0;
    if (auto i = n->as_integer()) v = static_cast<double>(i->get());
    else if (auto f = n->as_floating_point()) v = f->get();
    else fail(prefix + key, "must be a number", show(*n));
    if (!(v >= lo && v <= hi)) fail(prefix + key, fmt::format("must be in [{}, {}]", lo, hi), show(*n));
    return v;
  }

  bool boolean(const toml::table& t, const std::string& prefix, const std::string& key, bool fallback) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return fallback;
    if (!n->is_boolean()) fail(prefix + key, "must be true or false", show(*n));
    return n->as_boolean()->get();
  }

  std::vector<std::string> strings(const toml::table& t, const std::string& prefix, const std::string& key,
                                   bool required) const {
    const toml::node* n = t.get(key);
    std::vector<std::string> out;
    if (n == nullptr) {
      if (required) fail(prefix + key, "required key is missing", "");
      return out;
    }
    const toml::array* a = n->as_array();
    if (a == nullptr) fail(prefix + key, "must be an array of strings", show(*n));
    for (const auto& e : *a) {
      if (!e.is_string()) fail(prefix + key, "must be an array of strings", show(e));
      out.push_back(e.as_string()->get());
    }
    return out;
  }

  const toml::table* table(const toml::table& t, const std::string& prefix, const std::string& key, bool required) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) fail(prefix + key, "required table is missing", "");
      return nullptr;
    }
    if (!n->is_table()) fail(prefix + key, "must be a table", show(*n));
    return n->as_table();
  }

  // The source of `key` of a table whose per-key sources are `per_key` (at `per_key_prefix`, e.g.
  // "trips.sources."): its own when given (not blank), else `common`; none (empty) fails, naming
  // `key_prefix + key` and both ways to give one. `what` is "number" or "figure".
  std::string key_source(const toml::table* per_key, const std::string& per_key_prefix, const std::string& table_prefix,
                         const std::string& key, const std::string& common, const std::string& what) const {
    std::string s = common;
    if (per_key != nullptr && per_key->contains(key)) {
      s = str(*per_key, per_key_prefix, key, true);
      if (s.find_first_not_of(" \t") == std::string::npos)
        fail(per_key_prefix + key, "must name where the " + what + " comes from", shown(s));
    }
    if (s.empty())
      fail(table_prefix + key, fmt::format("every {} needs a source: give {}source (the whole table) or {}{}", what,
                                           table_prefix, per_key_prefix, key),
           "");
    return s;
  }

  // A path a key names must be a readable regular file (checked here, before any run starts).
  void readable_file(const fs::path& path, const std::string& key) const {
    const std::string v = shown(path.string());
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (st.type() == fs::file_type::not_found) fail(key, "must name an existing file", v);
    if (ec) fail(key, "must name a readable file (" + ec.message() + ")", v);
    if (st.type() == fs::file_type::directory) fail(key, "must name a file, not a directory", v);
    if (st.type() != fs::file_type::regular) fail(key, "must name a regular file", v);
    if (!std::ifstream(path, std::ios::binary))
      fail(key, "must name a readable file (" + std::error_code(errno, std::generic_category()).message() + ")", v);
  }
};

}  // namespace ut::scenario::detail
