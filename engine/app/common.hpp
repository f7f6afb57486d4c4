#pragma once
// The conventions every subcommand shares (docs/conventions.md, "Command line"), declared once:
// --quiet/-q, --progress, --version and, where the command has a summary, --json.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace ut::app {

struct Common {
  bool quiet = false;     // nothing but errors (warnings too are left out)
  bool json = false;      // stdout holds one JSON object, the summary; stderr only warnings and errors
  bool progress = false;  // draw the progress bar even when stderr is not a terminal
  // The bar is drawn: on a terminal or with --progress, never with --quiet or --json.
  bool show_progress() const;
  // Human-readable text on stdout (the summary): neither --quiet nor --json.
  bool text() const { return !quiet && !json; }
};

// "urbantwin 0.1.0 (commit abc1234)" (core::version_line).
std::string version_text();

// Adds --quiet/-q, --progress, --version and (with_json) --json to a subcommand.
void add_common_options(CLI::App& sub, Common& c, bool with_json);

// Prints the summary object on stdout (two-space indented, one trailing newline).
void print_json(const nlohmann::ordered_json& j);

// What a command prints on stdout when it fails under --json (its message still goes to stderr):
// {"error": {"exit_code": 2, "message": "..."}}.
nlohmann::ordered_json json_error(int exit_code, const std::string& message);

// The overrides of `run` and `site-select`: each --set KEY=VALUE in order, then --seed N (a --set
// without '=' is exit 2 naming the scenario file and the option).
std::vector<scenario::Override> scenario_overrides(const std::filesystem::path& scenario, const std::vector<std::string>& set,
                                                   const std::optional<std::string>& seed);

}  // namespace ut::app
