#include "report/report.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "batch/tables.hpp"
#include "core/error.hpp"
#include "core/staging.hpp"
#include "gis_io/run_reader.hpp"
#include "report/model.hpp"

namespace ut::report {

namespace fs = std::filesystem;
using core::InputError;
using core::Where;

namespace detail {

std::vector<std::vector<std::string>> read_csv(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(Where{file.string(), "", ""}, "must be a readable file", "missing or unreadable");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
        cell += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        cell += c;
      continue;
    }
    if (c == '"')
      quoted = true, any = true;
    else if (c == ',')
      row.push_back(std::move(cell)), cell.clear(), any = true;
    else if (c == '\n') {
      row.push_back(std::move(cell));
      cell.clear();
      rows.push_back(std::move(row));
      row.clear();
      any = false;
    } else if (c != '\r')
      cell += c, any = true;
  }
  if (quoted)
    throw InputError(Where{file.string(), fmt::format("line {}", rows.size() + 1), ""}, "a quoted cell must end", "");
  if (any || !cell.empty()) row.push_back(cell), rows.push_back(row);
  return rows;
}

}  // namespace detail

namespace {

using detail::Source;

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(Where{file.string(), "", ""}, "must be a readable file", "missing");
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw InputError(Where{file.string(), "", ""}, "must be valid JSON", e.what());
  }
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// compliance.csv, manifest classes and notes of one run directory.
Source::Run read_run_extras(const fs::path& dir, const std::string& label) {
  Source::Run r;
  r.label = label;
  r.dir = dir;
  const auto m = read_json(dir / "manifest.json");
  const fs::path cf = dir / "compliance.csv";
  if (fs::exists(cf)) {
    r.has_compliance = true;
    const auto rows = detail::read_csv(cf);
    const std::vector<std::string> header{"year", "indicator", "norm", "clause", "op", "target", "value", "status"};
    if (rows.empty() || rows[0] != header)
      throw InputError(Where{cf.string(), "line 1", ""},
                       "must be the header year,indicator,norm,clause,op,target,value,status", "");
    for (std::size_t i = 1; i < rows.size(); ++i) {
      const auto& c = rows[i];
      if (c.size() != header.size())
        throw InputError(Where{cf.string(), fmt::format("line {}", i + 1), ""}, "must hold 8 cells",
                         std::to_string(c.size()));
      int year = 0;
      try {
        year = std::stoi(c[0]);
      } catch (const std::exception&) {
        throw InputError(Where{cf.string(), fmt::format("line {}", i + 1), "year"}, "must be a year", c[0]);
      }
      r.compliance.push_back({year, c[1], c[2], c[3], c[4], c[5], c[6], c[7]});
    }
  }
  if (m.contains("classes"))
    for (const auto& c : m["classes"]) {
      detail::ClassInfo ci;
      ci.name = c.value("name", "");
      ci.sites = c.value("sites", 0LL);
      ci.no_data = c.value("no_data", false);
      ci.default_capacity = c.value("default_capacity", 0.0);
      ci.capacity_unit = c.value("capacity_unit", "");
      r.classes.push_back(ci);
    }
  if (m.contains("notes"))
    for (const auto& n : m["notes"]) r.notes.push_back(n.get<std::string>());
  r.has_gpkg = fs::exists(dir / "outputs.gpkg");
  return r;
}

Source read_run_source(const fs::path& dir) {
  const auto run = gis_io::read_run_tables(dir);
  Source s;
  s.dir = dir;
  s.name = run.scenario;
  s.indicators = run.indicators;
  detail::Series se;
  se.label = run.scenario;
  se.years = run.years;
  for (std::size_t i = 0; i < run.indicators.size(); ++i)
    for (int y : run.years) se.mean[run.indicators[i]].push_back(run.rows.at(y)[i]);
  s.series.push_back(std::move(se));
  s.detail = fmt::format("run, {}-{}{}", run.years.front(), run.years.back(), run.seed ? fmt::format(", seed {}", *run.seed) : "");
  auto r = read_run_extras(dir, run.scenario);
  r.final_year = run.years.back();
  for (std::size_t i = 0; i < run.indicators.size(); ++i)
    if (run.indicators[i] == "population") r.population = run.rows.at(run.years.back())[i];
  s.runs.push_back(std::move(r));
  s.attribution = read_text(dir / "ATTRIBUTION.txt");
  s.credit = core::recorded_credit(run.attribution);
  return s;
}

std::optional<double> number(const std::string& cell) {
  if (cell.empty()) return std::nullopt;
  try {
    return std::stod(cell);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Source read_study_source(const fs::path& dir) {
  const auto index = batch::read_study_index(dir);
  Source s;
  s.dir = dir;
  s.study = true;
  s.name = index.name;
  const fs::path sf = dir / "summary.csv";
  if (!fs::exists(sf))
    throw InputError(Where{sf.string(), "", ""},
                     "a study's summary.csv must be there (urbantwin batch --summarize writes it)", "missing");
  const auto rows = detail::read_csv(sf);
  const std::vector<std::string> header{"variant", "scenario", "overrides", "year",      "indicator", "n",
                                        "mean",    "sd",       "ci95_low",  "ci95_high", "min",       "max"};
  if (rows.empty() || rows[0] != header)
    throw InputError(Where{sf.string(), "line 1", ""}, "must be the header of summary.csv (docs/batch.md)", "");
  std::map<std::string, std::size_t> by_label;
  std::map<std::string, std::map<int, std::map<std::string, std::array<std::optional<double>, 3>>>> values;
  std::set<std::string> seen;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& c = rows[i];
    if (c.size() != header.size())
      throw InputError(Where{sf.string(), fmt::format("line {}", i + 1), ""}, "must hold 12 cells",
                       std::to_string(c.size()));
    int year = 0;
    try {
      year = std::stoi(c[3]);
    } catch (const std::exception&) {
      throw InputError(Where{sf.string(), fmt::format("line {}", i + 1), "year"}, "must be a year", c[3]);
    }
    if (seen.insert(c[4]).second) s.indicators.push_back(c[4]);
    values[c[0]][year][c[4]] = {number(c[6]), number(c[8]), number(c[9])};
  }
  for (const auto& v : index.variants) {
    auto it = values.find(v.label);
    if (it == values.end()) continue;
    detail::Series se;
    se.label = v.label;
    for (const auto& [year, inds] : it->second) {
      se.years.push_back(year);
      for (const auto& ind : s.indicators) {
        auto f = inds.find(ind);
        const std::array<std::optional<double>, 3> none{};
        const auto& a = f == inds.end() ? none : f->second;
        se.mean[ind].push_back(a[0]);
        se.low[ind].push_back(a[1]);
        se.high[ind].push_back(a[2]);
      }
    }
    s.series.push_back(std::move(se));
  }
  // Compliance and completeness: the first done run of each variant (its seed named).
  for (std::size_t k = 0; k < index.variants.size(); ++k)
    for (const auto& r : index.runs)
      if (r.variant == k && r.status == "done") {
        const fs::path rd = dir / "runs" / r.name;
        const auto run = gis_io::read_run_tables(rd);
        auto x = read_run_extras(rd, fmt::format("{} (seed {})", index.variants[k].label, r.seed));
        x.final_year = run.years.back();
        for (std::size_t i = 0; i < run.indicators.size(); ++i)
          if (run.indicators[i] == "population") x.population = run.rows.at(run.years.back())[i];
        s.runs.push_back(std::move(x));
        break;
      }
  std::size_t done = 0;
  for (const auto& r : index.runs) done += r.status == "done";
  s.detail = fmt::format("study, {} variants x {} seeds, {} of {} runs done; mean and 95 % interval over seeds",
                         index.variants.size(), index.seeds.size(), done, index.runs.size());
  s.attribution = read_text(dir / "ATTRIBUTION.txt");
  s.credit = batch::study_credit(index);
  return s;
}

Source read_source(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError(Where{dir.string(), "", ""}, "must be a run or study directory of urbantwin", "not a directory");
  if (fs::exists(dir / "study.json")) return read_study_source(dir);
  if (fs::exists(dir / "manifest.json")) {
    if (!core::is_our_output(dir, "run"))
      throw InputError(Where{(dir / "manifest.json").string(), "", "key kind"},
                       "must be a run directory of urbantwin (kind run) or a study directory (study.json)", "");
    return read_run_source(dir);
  }
  throw InputError(Where{dir.string(), "", ""},
                   "must be a run directory (manifest.json) or a study directory (study.json) of urbantwin",
                   "neither file is there");
}

// Runs argv (no shell) with a time limit; true on exit status 0. Its output goes to `log`.
bool run_process(const std::vector<std::string>& argv, const fs::path& log, int limit_s) {
  std::vector<std::string> args{"timeout", std::to_string(limit_s)};
  args.insert(args.end(), argv.begin(), argv.end());
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execvp(cargs[0], cargs.data());
    ::_exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool on_path(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string d;
  while (std::getline(ss, d, ':'))
    if (!d.empty() && ::access((fs::path(d) / program).c_str(), X_OK) == 0) return true;
  return false;
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += t[v >> 18], out += t[(v >> 12) & 63], out += t[(v >> 6) & 63], out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += t[v >> 18], out += t[(v >> 12) & 63], out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += t[v >> 18], out += t[(v >> 12) & 63], out += t[(v >> 6) & 63], out += '=';
  }
  return out;
}

// A scratch folder for the viewer's snapshots and Chromium's profile; removed on scope exit.
struct Scratch {
  fs::path dir;
  Scratch() {
    std::string t = (fs::temp_directory_path() / "urbantwin-report-XXXXXX").string();
    if (::mkdtemp(t.data()) == nullptr)
      throw std::runtime_error("cannot create a temporary folder in " + fs::temp_directory_path().string());
    dir = t;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::vector<detail::Snapshot> snapshots(const Options& o, const std::vector<Source>& sources, const fs::path& scratch,
                                        std::vector<std::string>& notes) {
  std::vector<detail::Snapshot> out;
  std::string why;
  if (o.viewer.empty() || !fs::exists(o.viewer))
    why = "no snapshot: urbantwin-viewer is not installed beside urbantwin";
  else if (!o.display)
    why = "no snapshot: no display (set DISPLAY, e.g. under xvfb-run)";
  std::size_t n = 0;
  for (const auto& s : sources)
    for (const auto& r : s.runs) {
      detail::Snapshot snap;
      snap.label = r.label;
      if (!why.empty())
        snap.note = why;
      else if (!r.has_gpkg)
        snap.note = "no snapshot: the run kept no outputs.gpkg (--keep full)";
      else {
        const fs::path png = scratch / fmt::format("snapshot-{}.png", n++);
        if (run_process({o.viewer.string(), r.dir.string(), "--snapshot", png.string(), "--size", "960x540"},
                        scratch / "viewer.log", 120) &&
            fs::exists(png))
          snap.png_base64 = base64(read_text(png));
        else
          snap.note = "no snapshot: the viewer failed (" + read_text(scratch / "viewer.log").substr(0, 200) + ")";
      }
      if (!snap.note.empty()) notes.push_back(r.label + ": " + snap.note);
      out.push_back(std::move(snap));
    }
  return out;
}

}  // namespace

Result write_report(const Options& o) {
  Result res;
  // A missing installation is found before any work.
  std::ifstream cj(o.chart_js, std::ios::binary);
  if (!cj)
    throw SetupError(
        fmt::format("Chart.js is missing: {} cannot be read (install the Debian package libjs-chart.js: "
                    "scripts/setup)",
                    o.chart_js.string()));
  if (o.pdf && !on_path(o.chromium))
    throw SetupError(fmt::format(
        "--pdf needs Chromium: '{}' is not installed (the Debian package chromium: scripts/setup)", o.chromium));
  std::stringstream chart;
  chart << cj.rdbuf();
  if (o.inputs.empty()) throw InputError(Where{"", "", "RUN_OR_STUDY"}, "name at least one run or study directory", "");
  res.html = o.out;
  if (o.pdf) {
    res.pdf = fs::path(o.out).replace_extension(".pdf");
    if (res.pdf == res.html)
      throw InputError(Where{"", "", "option --out"}, "with --pdf the HTML report's name must not end in .pdf",
                       o.out.string());
  }
  // Output safety: checked and locked before the inputs are read.
  core::Staging html(core::Staging::Spec{o.out, core::Staging::Kind::file, "report", o.overwrite, o.inputs, "--out"});
  std::optional<core::Staging> pdf;
  if (o.pdf)
    pdf.emplace(core::Staging::Spec{res.pdf, core::Staging::Kind::file, "report PDF", o.overwrite, o.inputs, "--out"});

  std::vector<Source> sources;
  for (const auto& in : o.inputs) sources.push_back(read_source(in));
  std::vector<core::Credit> credits;
  for (const auto& s : sources) credits.push_back(s.credit);
  res.credit = core::credit_union(credits).text;
  // Two runs of one scenario (e.g. before and after a change) are told apart by their folder.
  std::map<std::string, int> names;
  for (const auto& s : sources) ++names[s.name];
  for (auto& s : sources)
    if (!s.study && names[s.name] > 1) {
      fs::path d = fs::absolute(s.dir).lexically_normal();
      if (d.filename().empty()) d = d.parent_path();  // "runs/x/"
      const std::string l = s.name + " (" + d.filename().string() + ")";
      for (auto& se : s.series) se.label = l;
      for (auto& r : s.runs) r.label = l;
    }
  Scratch scratch;
  const auto snaps = snapshots(o, sources, scratch.dir, res.notes);
  const std::string text = detail::render_html(sources, snaps, chart.str(), res.sections);
  core::write_file(html.temp(), text);
  if (pdf) {
    // Chromium prints the staged HTML (its final name does not exist yet) into the PDF's temporary.
    const fs::path log = scratch.dir / "chromium.log";
    // Chromium knows a page by its name's extension: print a copy named .html.
    const fs::path page = scratch.dir / "report.html";
    core::write_file(page, text);
    const bool ok = run_process({o.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                                 "--user-data-dir=" + (scratch.dir / "profile").string(),
                                 "--print-to-pdf=" + pdf->temp().string(), "file://" + page.string()},
                                log, 180);
    if (!ok || !fs::exists(pdf->temp()) || fs::file_size(pdf->temp()) == 0)
      throw std::runtime_error("headless Chromium did not print the PDF: " + read_text(log).substr(0, 600));
  }
  html.commit();
  if (pdf) pdf->commit();
  return res;
}

}  // namespace ut::report
