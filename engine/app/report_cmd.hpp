#pragma once
#include <filesystem>
#include <vector>

#include "app/common.hpp"

namespace ut::app {

struct ReportArgs {
  std::vector<std::filesystem::path> inputs;
  std::filesystem::path out = "report.html";
  bool pdf = false;
  bool overwrite = false;
  Common common;  // -q/--quiet, --progress, --version (no --json: the report is the HTML)
};

// `urbantwin report RUN_OR_STUDY... [--out report.html] [--pdf]` (docs/report.md). Returns the exit
// code; a missing installation (Chart.js, Chromium) is 1 with a message naming it.
int cmd_report(const ReportArgs& args);

}  // namespace ut::app
