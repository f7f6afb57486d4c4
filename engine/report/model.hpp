#pragma once
// The report's inputs as read from disk (internal to the report module).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/credit.hpp"

namespace ut::report::detail {

struct ComplianceCell {
  int year = 0;
  std::string indicator, norm, clause, op, target, value, status;  // as compliance.csv holds them
};

struct ClassInfo {
  std::string name, capacity_unit;
  double default_capacity = 0;
  long long sites = 0;
  bool no_data = false;
};

// One line of a chart: a run, or a study's variant (mean with its 95 % interval).
struct Series {
  std::string label;
  std::vector<int> years;
  std::map<std::string, std::vector<std::optional<double>>> mean, low, high;  // per indicator, per year
};

struct Source {
  std::filesystem::path dir;
  bool study = false;
  std::string name;                     // scenario or study name
  std::string detail;                   // one line: years, seeds, variants
  std::vector<std::string> indicators;  // in file order
  std::vector<Series> series;
  // Per run shown (a run; the first done run of each variant of a study): compliance, classes.
  struct Run {
    std::string label;
    std::filesystem::path dir;
    bool has_compliance = false;
    std::vector<ComplianceCell> compliance;
    std::vector<ClassInfo> classes;
    std::vector<std::string> notes;
    std::optional<double> population;  // final year
    int final_year = 0;
    bool has_gpkg = false;
  };
  std::vector<Run> runs;
  std::string attribution;  // ATTRIBUTION.txt as written
  core::Credit credit;      // the run's manifest.json "attribution"; a study's: its done runs'
};

// RFC 4180 rows of a CSV file (quoted cells with commas, quotes and line breaks).
std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& file);

// The whole HTML document.
struct Snapshot {
  std::string label, png_base64, note;  // note: why there is none (png empty)
};
std::string render_html(const std::vector<Source>& sources, const std::vector<Snapshot>& snapshots,
                        const std::string& chart_js, std::size_t& sections);

std::string escape(const std::string& s);

}  // namespace ut::report::detail
