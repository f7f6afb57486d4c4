#include <fmt/format.h>

#include <chrono>
#include <fstream>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "api/api.hpp"
#include "api/session_impl.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "gis_io/load.hpp"

namespace ut::api {

struct Model::Impl {
  scenario::Scenario s;
  city::City plan;
  std::unique_ptr<sim::Simulation> sim;
  std::optional<sim::YearResult> last;
  double load_s = 0;
  int year = 0;
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

scenario::Scenario Model::load(const std::filesystem::path& scenario, const OpenOptions& o) {
  std::vector<scenario::Override> overrides;
  for (const auto& kv : o.set) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos)
      throw core::InputError(core::Where{scenario.string(), "", "option --set " + kv},
                             "must be KEY=VALUE, such as homes.spacing_m=25", kv);
    overrides.push_back({kv.substr(0, eq), kv.substr(eq + 1), "option --set " + kv});
  }
  if (o.seed) overrides.push_back({"seed", std::to_string(*o.seed), "option --seed " + std::to_string(*o.seed)});
  overrides.insert(overrides.end(), o.overrides.begin(), o.overrides.end());
  auto s = scenario::load_scenario(scenario, overrides);
  if (o.until) {
    if (*o.until < s.base_year || *o.until > s.end_year)
      throw core::InputError(
          core::Where{scenario.string(), "", "option --until"},
          fmt::format("must be a year the scenario simulates (base_year..end_year = {}..{})", s.base_year, s.end_year),
          std::to_string(*o.until));
    s.end_year = *o.until;
  }
  return s;
}

Model Model::open(const std::filesystem::path& scenario, const OpenOptions& o) { return open(load(scenario, o)); }

scenario::Scenario Model::load_run(const std::filesystem::path& run_dir, const OpenOptions& o) {
  const auto manifest = run_dir / "manifest.json";
  const std::string where = manifest.string();
  std::ifstream in(manifest);
  if (!in)
    throw core::InputError(core::Where{where, "", ""}, "must be a readable manifest of a run directory (urbantwin run)",
                           "");
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw core::InputError(core::Where{where, "", ""}, "must be valid JSON", e.what());
  }
  if (!m.is_object() || m.value("engine", "") != "urbantwin" || m.value("kind", "") != "run")
    throw core::InputError(core::Where{where, "", "kind"},
                           "must be the manifest of an urbantwin run (\"kind\": \"run\")", "");
  std::filesystem::path file;
  std::string sha;
  if (m.contains("inputs") && m["inputs"].is_array())
    for (const auto& e : m["inputs"])
      if (e.is_object() && e.value("role", "") == "scenario" && e.contains("path") && e["path"].is_string()) {
        file = e["path"].get<std::string>();
        sha = e.value("sha256", "");
      }
  if (file.empty())
    throw core::InputError(core::Where{where, "", "inputs"}, "must name the run's scenario file (role \"scenario\")",
                           "");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw core::InputError(core::Where{where, "", "inputs"},
                           "the scenario file the run was made from must still exist (its layers are read again)",
                           file.string());
  // Reopened, the scenario must be the one the run was made from.
  if (!sha.empty() && core::sha256_file(file) != sha)
    throw core::InputError(core::Where{file.string(), "", "sha256"},
                           "must be unchanged since the run (its SHA-256 in " + where + ")", "changed");
  // The run's overrides, then the caller's (load() applies `set` and `seed` before `overrides`,
  // so the caller's are converted here to keep that order).
  OpenOptions ordered;
  if (m.contains("overrides") && m["overrides"].is_array())
    for (const auto& ov : m["overrides"])
      if (ov.is_object() && ov.contains("key") && ov.contains("value") && ov["key"].is_string() &&
          ov["value"].is_string())
        ordered.overrides.push_back(
            {ov["key"].get<std::string>(), ov["value"].get<std::string>(), "override in " + where});
  for (const auto& kv : o.set) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos)
      throw core::InputError(core::Where{where, "", "option --set " + kv},
                             "must be KEY=VALUE, such as homes.spacing_m=25", kv);
    ordered.overrides.push_back({kv.substr(0, eq), kv.substr(eq + 1), "option --set " + kv});
  }
  if (o.seed)
    ordered.overrides.push_back({"seed", std::to_string(*o.seed), "option --seed " + std::to_string(*o.seed)});
  ordered.overrides.insert(ordered.overrides.end(), o.overrides.begin(), o.overrides.end());
  ordered.until = o.until;
  if (!ordered.until && m.contains("years") && m["years"].is_array() && !m["years"].empty() &&
      m["years"].back().is_number_integer())
    ordered.until = m["years"].back().get<int>();
  return load(file, ordered);
}

Model Model::open_run(const std::filesystem::path& run_dir, const OpenOptions& o) { return open(load_run(run_dir, o)); }

Model Model::open(scenario::Scenario s) {
  const auto t0 = std::chrono::steady_clock::now();
  city::City plan = gis_io::load_city(s);
  Model m = from(std::move(s), std::move(plan));
  m.impl_->load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return m;
}

Model Model::from(scenario::Scenario s, city::City plan) {
  auto impl = std::make_unique<Impl>();
  impl->s = std::move(s);
  impl->plan = std::move(plan);
  // The Simulation keeps references to the scenario and the plan: both live in Impl, whose
  // address a move of the Model does not change.
  impl->sim = std::make_unique<sim::Simulation>(impl->s, impl->plan);
  impl->year = impl->s.base_year - 1;
  return Model(std::move(impl));
}

const scenario::Scenario& Model::scenario() const { return impl_->s; }
const city::City& Model::plan() const { return impl_->plan; }
double Model::load_seconds() const { return impl_->load_s; }
int Model::base_year() const { return impl_->s.base_year; }
int Model::end_year() const { return impl_->s.end_year; }
int Model::year() const { return impl_->year; }

void Model::build_networks() { impl_->sim->build_networks(); }

const sim::YearResult& Model::step() {
  auto& m = *impl_;
  if (m.year >= m.s.end_year)
    throw std::logic_error(fmt::format("Model::step: {} is the scenario's last year", m.s.end_year));
  m.last = m.year < m.s.base_year ? m.sim->step_base_year() : m.sim->step_next_year();
  m.year = m.last->year;
  return *m.last;
}

const sim::YearResult& Model::last() const {
  if (!impl_->last) throw std::logic_error("Model::last: no year simulated yet");
  return *impl_->last;
}

std::vector<sim::YearResult> Model::run(const std::function<void(int)>& on_year) {
  std::vector<sim::YearResult> years;
  while (!done()) {
    if (on_year) on_year(year() < base_year() ? base_year() : year() + 1);
    years.push_back(step());
  }
  return years;
}

void Model::set_phase_observer(std::function<void(const std::string&)> f) {
  impl_->sim->set_phase_observer(std::move(f));
}
const sim::Simulation& Model::simulation() const { return *impl_->sim; }

Session Model::session(std::size_t history) const {
  if (!impl_->last) throw std::logic_error("Model::session: step() at least once first");
  return Session(std::make_unique<Session::Impl>(impl_->s, *impl_->sim, *impl_->last, history));
}

}  // namespace ut::api
