#include "app/run_cmd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "api/api.hpp"
#include "app/common.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/progress.hpp"
#include "core/staging.hpp"
#include "core/version.hpp"
#include "output/run_dir.hpp"
#include "scenario/scenario.hpp"
#include "sim/compliance.hpp"
#include "sim/simulation.hpp"

namespace ut::app {

namespace {

using clock = std::chrono::steady_clock;
double since(clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); }

// The bar of a run: by simulated years and, inside a year, by its phases. Before a whole year
// other than the base year has run, the fraction counts phases and the time left comes from the
// rate so far; afterwards the time left is the last year's phase times (the phases still to come
// this year, then every remaining year), which follows the traffic phase's weight. A ticker
// thread redraws the bar twice a second inside a phase, so that the time left counts down during
// a long traffic assignment; a mutex orders it with the simulation thread's calls.
class RunProgress {
 public:
  RunProgress(const char* label, bool enabled, int base_year, int end_year)
      : bar_(label, enabled), base_(base_year), years_(end_year - base_year + 1) {
    if (enabled)
      ticker_ = std::jthread([this](std::stop_token stop) {
        std::mutex sleep_mu;
        std::condition_variable_any cv;
        for (;;) {
          {
            std::unique_lock sleep(sleep_mu);
            if (cv.wait_for(sleep, stop, std::chrono::milliseconds(500), [] { return false; }) || stop.stop_requested()) return;
          }
          std::lock_guard lock(mu_);
          if (!now_phase_.empty()) redraw();
        }
      });
  }
  ~RunProgress() { stop(); }

  // Stops the ticker and draws 100 %.
  void finish() {
    stop();
    bar_.finish();
  }
  void stage(const std::string& what) {
    std::lock_guard lock(mu_);
    bar_.update(fraction_, what);
  }
  void year_started(int year, bool base) {
    std::lock_guard lock(mu_);
    year_ = year;
    base_year_running_ = base;
    phase_index_ = 0;
  }
  void phase(const std::string& name) {
    std::lock_guard lock(mu_);
    if (year_ == 0) return;  // the networks' phases before the base year: stage() shows them
    now_phase_ = name;
    phase_start_ = clock::now();
    ++phase_index_;
    redraw();
  }
  // A year has run: its phase times (the writing of its rows included) teach the estimate.
  void year_done(const std::vector<std::pair<std::string, double>>& phase_seconds) {
    std::lock_guard lock(mu_);
    ++years_done_;
    if (!base_year_running_) {
      last_year_.clear();
      last_order_.clear();
      for (const auto& [n, sec] : phase_seconds) {
        last_year_[n] += sec;
        last_order_.push_back(n);
      }
      phases_per_year_ = static_cast<int>(phase_seconds.size());
    }
    now_phase_.clear();
    redraw();
  }
  // The writing of the run directory: inside a year, its rows (the year's step names the table
  // and the rows written); after the last year, the final layers, from the years' fraction
  // towards 99 %, the time left from the writing's own rate.
  void writing(const std::string& what, double fraction) {
    std::lock_guard lock(mu_);
    if (years_done_ < years_) {
      if (now_phase_ != "write") {
        now_phase_ = "write";
        phase_start_ = clock::now();
        ++phase_index_;
      }
      write_what_ = what;
      redraw();
      return;
    }
    if (!writing_) {
      writing_ = true;
      write_from_ = fraction_;
      write_t0_ = clock::now();
    }
    fraction = std::clamp(fraction, 0.0, 1.0);
    std::optional<double> left;
    const double elapsed = since(write_t0_);
    if (fraction >= 0.02 && elapsed >= 1) left = elapsed / fraction * (1 - fraction);
    fraction_ = std::max(fraction_, write_from_ + (0.99 - write_from_) * fraction);
    bar_.update(fraction_, fmt::format("writing {}", what), left);
  }

 private:
  void stop() {
    if (ticker_.joinable()) {
      ticker_.request_stop();
      ticker_.join();
    }
  }
  void redraw() {
    // Phases of a year: learnt from the last year; before it, the base year's six (sites ..
    // indicators) and a later year's eight (interventions .. indicators), and the writing of its rows.
    const int per_year = phases_per_year_ > 0 && !base_year_running_ ? phases_per_year_ : base_year_running_ ? 7 : 9;
    double f = (years_done_ + (now_phase_.empty() ? 0.0 : std::min(1.0, (phase_index_ - 0.5) / per_year))) / years_;
    std::optional<double> left;
    if (!last_year_.empty()) {
      double year_total = 0;
      for (const auto& [n, sec] : last_year_) year_total += sec;
      double rest = 0;
      if (!now_phase_.empty()) {  // the phases of this year still to come, after the current one
        bool after = false;
        for (const auto& n : last_order_) {
          if (after) rest += last_year_[n];
          if (n == now_phase_) {
            after = true;
            rest += std::max(0.0, last_year_[n] - since(phase_start_));
          }
        }
      }
      const int remaining_years = years_ - years_done_ - (now_phase_.empty() ? 0 : 1);
      left = rest + remaining_years * year_total;
      const double elapsed = since(t0_);
      f = elapsed / std::max(elapsed + *left, 1e-9);
    }
    fraction_ = std::max(fraction_, std::min(f, 0.99));
    // "2026 (3/12) traffic": the year, which of the years it is, the phase.
    const std::string step = now_phase_.empty() ? "done" : now_phase_ == "write" ? "writing " + write_what_ : now_phase_;
    bar_.update(fraction_, fmt::format("{} ({}/{}) {}", year_, year_ - base_ + 1, years_, step), left);
  }

  core::ProgressBar bar_;
  int base_, years_;
  int year_ = 0, years_done_ = 0, phase_index_ = 0, phases_per_year_ = 0;
  bool base_year_running_ = false, writing_ = false;
  double fraction_ = 0, write_from_ = 0;
  clock::time_point write_t0_;
  std::string now_phase_, write_what_;
  std::vector<std::string> last_order_;
  std::map<std::string, double> last_year_;
  clock::time_point t0_ = clock::now(), phase_start_ = clock::now();
  std::mutex mu_;
  std::jthread ticker_;  // last: started after every other member exists, stopped first
};

// An indicator's value as indicators.csv writes it (counts as integers, others to 6 decimals), so
// that --json and the file agree to the last digit; null: no data.
nlohmann::ordered_json indicator_json(const sim::Indicator& ind) {
  if (!ind.value) return nullptr;
  if (output::indicator_is_count(ind.name)) return static_cast<std::int64_t>(std::llround(*ind.value));
  return std::stod(output::format_indicator(ind.name, *ind.value));
}

std::string show(const sim::Indicator& i) { return i.value ? output::show_indicator(i.name, *i.value) : "no data"; }

}  // namespace

int cmd_run(const RunArgs& a, bool write) {
  const auto t0 = clock::now();
  const Common& ui = a.common;
  api::OpenOptions opts;
  opts.overrides = scenario_overrides(a.scenario, a.set, a.seed);
  if (a.until != 0) opts.until = a.until;
  const scenario::Scenario loaded = api::Model::load(a.scenario, opts);
  // The output is checked (not an input, not someone else's folder, an earlier run only with
  // --overwrite, writable) and locked before any work, so a refused output costs nothing.
  std::optional<core::Staging> staging;
  const auto out = a.out.empty() ? std::filesystem::path("runs") / loaded.name : a.out;
  if (write) staging.emplace(output::run_output_spec(out, loaded, a.overwrite));
  RunProgress progress(write ? "urbantwin run" : "urbantwin validate", ui.show_progress(), loaded.base_year,
                       write ? loaded.end_year : loaded.base_year);
  progress.stage("loading layers");
  auto model = api::Model::open(loaded);
  const scenario::Scenario& s = model.scenario();
  const city::City& city = model.plan();
  const sim::Simulation& sim = model.simulation();
  model.set_phase_observer([&](const std::string& phase) { progress.phase(phase); });
  progress.stage("building networks");
  model.build_networks();
  if (!write) {
    progress.finish();
    const auto& st = sim.network_stats();
    if (ui.json) {
      nlohmann::ordered_json j;
      j["scenario_file"] = a.scenario.string();
      j["scenario"] = s.name;
      j["valid"] = true;
      j["crs"] = city.crs;
      j["counts"] = {{"parcels", city.parcels.size()},       {"roads", city.roads.size()},
                     {"greenways", city.greenways.size()},   {"facilities", city.facilities.size()},
                     {"walk_nodes", st.walk_nodes},          {"walk_edges", st.walk_edges},
                     {"drive_nodes", st.drive_nodes},        {"drive_edges", st.drive_edges},
                     {"home_points", st.home_points}};
      j["seconds"] = since(t0);
      print_json(j);
    } else if (!ui.quiet) {
      fmt::print("{}: valid. {} parcels, {} roads, {} greenways, {} facilities; walk graph {} nodes / {} edges, "
                 "drive graph {} nodes / {} edges; CRS {}\n",
                 a.scenario.string(), city.parcels.size(), city.roads.size(), city.greenways.size(), city.facilities.size(),
                 st.walk_nodes, st.walk_edges, st.drive_nodes, st.drive_edges, city.crs);
    }
    return 0;
  }
  const output::Keep keep = a.keep == "indicators" ? output::Keep::indicators
                            : a.keep == "parcels"  ? output::Keep::parcels
                                                   : output::Keep::full;
  // Each year's rows are written when the year ends; the run keeps one year's arrays.
  output::RunWriter writer(*staging, s, city, keep, [&](const std::string& what, double f) { progress.writing(what, f); });
  // The year ends, all of it (the copy the writer keeps, both year tables and their blocks'
  // making): "write_years" of timings.json, containing write_parcel_years_csv and write_gpkg_years.
  double write_years_s = 0;
  std::uint64_t write_years_kib = 0;
  for (bool base = true; !model.done(); base = false) {
    progress.year_started(model.year() < s.base_year ? s.base_year : model.year() + 1, base);
    const sim::YearResult& y = model.step();
    auto phases = y.phase_seconds;
    const auto tw = clock::now();
    const core::PeakRise rise;
    writer.add_year(y);
    write_years_kib += rise.kib();
    phases.emplace_back("write", since(tw));
    write_years_s += phases.back().second;
    progress.year_done(phases);
  }
  const auto& years = writer.years();
  output::RunInfo info;
  info.threads = a.threads;
  info.phase_seconds.emplace_back("load", model.load_seconds());
  for (const auto& p : sim.phase_seconds()) info.phase_seconds.push_back(p);
  info.phase_peak_added_kib.emplace_back("load", sim.peak_before_phases_kib());
  for (const auto& p : sim.phase_peak_added_kib()) info.phase_peak_added_kib.push_back(p);
  info.phase_seconds.emplace_back("write_years", write_years_s);
  info.phase_peak_added_kib.emplace_back("write_years", write_years_kib);
  info.notes = sim.notes();
  info.network = sim.network_stats();
  info.homes = &sim.home_points();
  info.home_walk = &sim.home_walk_entries();
  progress.stage("writing " + out.string());
  writer.finish(info);
  progress.finish();
  const double total_s = since(t0);
  const auto& last = years.back();
  // Norms the final year fails (compliance.csv has every year and norm; docs/compliance.md).
  const auto norms = sim::evaluate_compliance(s.profile.compliance, last.year, last.indicators);
  std::size_t failing = 0, no_data = 0;
  for (const auto& r : norms) {
    failing += r.status == sim::ComplianceStatus::fail;
    no_data += r.status == sim::ComplianceStatus::no_data;
  }
  if (ui.json) {
    nlohmann::ordered_json j;
    j["out"] = out.string();
    j["scenario"] = s.name;
    j["scenario_file"] = a.scenario.string();
    j["seed"] = s.seed;
    j["base_year"] = years.front().year;
    j["final_year"] = last.year;
    j["years"] = years.size();
    j["parcels"] = city.parcels.size();
    j["keep"] = output::keep_name(keep);
    auto& ind = j["indicators"] = nlohmann::ordered_json::object();
    for (const auto& i : last.indicators)
      if (i.name != "year") ind[i.name] = indicator_json(i);
    j["seconds"] = total_s;
    auto& ph = j["phase_seconds"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : info.phase_seconds) ph[k] = std::round(v * 1e4) / 1e4;
    auto& nj = j["norms"] = nlohmann::ordered_json::object();
    nj["year"] = last.year;
    nj["count"] = norms.size();
    nj["failing"] = failing;
    nj["no_data"] = no_data;
    auto& fj = nj["failing_norms"] = nlohmann::ordered_json::array();
    for (const auto& r : norms)
      if (r.status == sim::ComplianceStatus::fail)
        fj.push_back({{"indicator", r.norm->indicator},
                      {"op", scenario::op_text(r.norm->op)},
                      {"target", r.norm->target},
                      {"value", *r.value},
                      {"clause", r.norm->clause}});
    j["warnings"] = info.notes;
    j["version"] = core::version_line("urbantwin");
    j["attribution"] = output::run_credit(city).text;
    print_json(j);
  } else if (!ui.quiet) {
    std::optional<double> pop;
    for (const auto& i : last.indicators)
      if (i.name == "population") pop = i.value;
    fmt::print("{}: {} parcels, {}-{}, {} residents in {}, {:.2f} s\n", out.string(), city.parcels.size(), years.front().year,
               last.year, pop.value_or(0), last.year, total_s);
    for (const auto& i : last.indicators)
      if (i.name != "year") fmt::print("  {:<36} {}\n", i.name, show(i));
    if (!norms.empty()) {
      fmt::print("Norms in {}: {} of {} failing, {} without data (compliance.csv)\n", last.year, failing, norms.size(), no_data);
      for (const auto& r : norms)
        if (r.status == sim::ComplianceStatus::fail)
          fmt::print("  fail {:<32} {} (norm {} {}; {})\n", r.norm->indicator, output::show_indicator(r.norm->indicator, *r.value), scenario::op_text(r.norm->op),
                     r.norm->target, r.norm->clause);
    }
    fmt::print("{}\n", output::run_credit(city).text);
  }
  return 0;
}

}  // namespace ut::app
