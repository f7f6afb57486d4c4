#pragma once
// `urbantwin report` (docs/report.md): one self-contained HTML file (Chart.js inlined) that sets
// out runs and studies for a planner: indicators over the years (95 % bands for studies, every
// input on the same charts), the norms-compliance table per year from each run's
// compliance.csv, data completeness, the viewer's snapshots when a display is there, the
// attribution; optionally printed to PDF by headless Chromium. Reads run and study directories
// only (gis_io::read_run_tables, batch::read_study_index), never the engine's internals.
#include <filesystem>
#include <string>
#include <vector>

namespace ut::report {

struct Options {
  std::vector<std::filesystem::path> inputs;  // run or study directories
  std::filesystem::path out = "report.html";
  bool pdf = false;
  bool overwrite = false;
  std::filesystem::path chart_js = "/usr/share/javascript/chart.js/chart.min.js";  // Debian's libjs-chart.js
  std::string chromium = "chromium";                                               // for --pdf
  std::filesystem::path viewer;  // urbantwin-viewer for snapshots; empty: none
  bool display = false;          // a display (DISPLAY) the viewer can draw on
};

struct Result {
  std::filesystem::path html, pdf;  // pdf empty without --pdf
  std::size_t sections = 0;         // one PDF page each
  std::vector<std::string> notes;   // what the report could not include, and why
  std::string credit;               // the inputs' credits, each once (docs/conventions.md, "Credits")
};

// A missing installation (Chart.js, Chromium) is a SetupError (exit 1); a directory that is not a
// run or study of ours is core::InputError (exit 2) naming it; outputs follow core::Staging.
struct SetupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Result write_report(const Options& o);

}  // namespace ut::report
