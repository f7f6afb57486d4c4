#include "app/report_cmd.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "output/run_dir.hpp"
#include "report/report.hpp"

namespace ut::app {

namespace fs = std::filesystem;

int cmd_report(const ReportArgs& a) {
  report::Options o;
  o.inputs = a.inputs;
  o.out = a.out;
  o.pdf = a.pdf;
  o.overwrite = a.overwrite;
  // Installations a test (or a packager) may point elsewhere.
  if (const char* cj = std::getenv("UT_CHART_JS"); cj && *cj) o.chart_js = cj;
  if (const char* ch = std::getenv("UT_CHROMIUM"); ch && *ch) o.chromium = ch;
  // The viewer beside this binary (an installation), or where the build tree puts it.
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& v :
         {self.parent_path() / "urbantwin-viewer", self.parent_path() / "../../viewer/urbantwin-viewer"})
      if (::access(v.c_str(), X_OK) == 0) {
        o.viewer = fs::weakly_canonical(v, ec);
        break;
      }
  }
  const char* display = std::getenv("DISPLAY");
  o.display = display != nullptr && *display != '\0';
  try {
    const auto r = report::write_report(o);
    if (!a.common.quiet) {
      fmt::print("wrote {} ({} sections){}\n", r.html.string(), r.sections, r.pdf.empty() ? "" : ", " + r.pdf.string());
      for (const auto& n : r.notes) fmt::print("  note: {}\n", n);
      fmt::print("{}\n", r.credit);
    }
  } catch (const report::SetupError& e) {
    fmt::print(stderr, "urbantwin report: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace ut::app
