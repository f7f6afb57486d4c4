#include "app/common.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/version.hpp"

namespace ut::app {

bool Common::show_progress() const { return core::progress_wanted(progress, quiet, json); }

std::string version_text() { return core::version_line("urbantwin"); }

void add_common_options(CLI::App& sub, Common& c, bool with_json) {
  sub.add_flag("-q,--quiet", c.quiet, "Print nothing but errors");
  sub.add_flag("--progress", c.progress,
               "Draw the progress bar on stderr even when it is not a terminal (never with --quiet or --json)");
  if (with_json)
    sub.add_flag("--json", c.json, "Print one JSON object with the summary on stdout (and nothing else there)");
  sub.set_version_flag("--version", version_text(), "Print the version and the git commit it was built from, and exit");
}

// Invalid UTF-8 (a path's bytes) is replaced, never an exception.
void print_json(const nlohmann::ordered_json& j) {
  fmt::print("{}\n", j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

nlohmann::ordered_json json_error(int exit_code, const std::string& message) {
  nlohmann::ordered_json e;
  e["error"] = {{"exit_code", exit_code}, {"message", message}};
  return e;
}

std::vector<scenario::Override> scenario_overrides(const std::filesystem::path& scenario, const std::vector<std::string>& set,
                                                   const std::optional<std::string>& seed) {
  std::vector<scenario::Override> overrides;
  for (const auto& kv : set) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos)
      throw core::InputError(core::Where{scenario.string(), "", "option --set " + kv},
                             "must be KEY=VALUE, such as homes.spacing_m=25", kv);
    overrides.push_back({kv.substr(0, eq), kv.substr(eq + 1), "option --set " + kv});
  }
  if (seed) overrides.push_back({"seed", *seed, "option --seed " + *seed});
  return overrides;
}

}  // namespace ut::app
