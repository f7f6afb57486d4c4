#include "live/live.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cmath>
#include <unordered_map>

#include "core/error.hpp"

namespace ut::live {

namespace fs = std::filesystem;

std::string grouped(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

Live::Live(const run_data::RunData& run, int year, std::size_t history_limit) : run_(run), year_(year), history_limit_(history_limit) {
  thread_ = std::thread([this] { open(); });
}

Live::~Live() {
  // The operator's exit key while the session opens: the opening stops after the year it is
  // stepping (a few seconds), not after every year up to the shown one.
  cancel_.store(true);
  if (thread_.joinable()) thread_.join();
}

void Live::wait() const {
  while (state_.load() == State::opening) state_.wait(State::opening);
}

// The run's scenario as it was run: the scenario file manifest.json names (unchanged since, by its
// SHA-256) with the run's overrides, simulated up to the edited year.
api::Model Live::open_scenario() const {
  api::OpenOptions o;
  o.until = year_;
  return api::Model::open_run(run_.dir, o);  // the run's scenario file, unchanged, with its overrides
}

void Live::open() {
  const auto t0 = std::chrono::steady_clock::now();
  try {
    auto model = std::make_unique<api::Model>(open_scenario());
    if (year_ < model->base_year() || year_ > model->end_year())
      throw core::InputError(core::Where{(run_.dir / "scenario.toml").string(), "", "year"}, "the edited year must be a year of the scenario",
                             std::to_string(year_));
    while (model->year() < year_) {
      if (cancel_.load()) throw std::runtime_error("the viewer closed while the session was opening");
      model->step();
    }
    auto session = std::make_unique<api::Session>(model->session(history_limit_));
    if (session->year() != year_) throw std::logic_error("the session is not of the shown year");
    // The run's parcels by id; the session's parcels in its own order.
    std::unordered_map<std::int64_t, std::size_t> by_id;
    for (std::size_t p = 0; p < run_.parcel_id.size(); ++p) by_id.emplace(run_.parcel_id[p], p);
    to_run_.assign(session->parcels(), static_cast<std::size_t>(-1));
    to_session_.assign(run_.parcel_id.size(), static_cast<std::size_t>(-1));
    for (std::size_t i = 0; i < session->parcels(); ++i)
      if (const auto it = by_id.find(session->parcel_id(i)); it != by_id.end()) {
        to_run_[i] = it->second;
        to_session_[it->second] = i;
      }
    model_ = std::move(model);
    session_ = std::move(session);
    open_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state_.store(State::ready);
  } catch (const std::exception& e) {
    error_ = e.what();
    state_.store(State::failed);
  }
  state_.notify_all();
}

bool Live::values(const std::string& indicator, std::vector<float>& out) const {
  if (!ready()) return false;
  const auto& s = *session_;
  out.assign(run_.parcel_id.size(), run_data::kNoData);
  // Shares as the run writes them: to 6 decimals (engine/output), so colours match the run's.
  auto share = [](double v) { return static_cast<float>(std::round(v * 1e6) / 1e6); };
  for (int t = 0; t < 3; ++t)
    if (indicator == fmt::format("cov_{}min", std::array{5, 10, 15}[static_cast<std::size_t>(t)])) {
      const auto& v = s.tier_share(t);
      for (std::size_t i = 0; i < v.size() && i < to_run_.size(); ++i)
        if (to_run_[i] != static_cast<std::size_t>(-1)) out[to_run_[i]] = share(v[i]);
      return true;
    }
  const auto& classes = s.classes();
  for (const char* pre : {"share_", "served_"}) {
    const std::string p(pre);
    if (indicator.rfind(p, 0) != 0) continue;
    const std::string cls = indicator.substr(p.size());
    for (std::size_t k = 0; k < classes.size(); ++k) {
      if (classes[k] != cls) continue;
      if (s.result().sites[k] == 0) return true;  // no site of the class: no data, as the run writes it
      const auto& pc = s.parcel_coverage(k);
      for (std::size_t i = 0; i < to_run_.size(); ++i) {
        if (to_run_[i] == static_cast<std::size_t>(-1)) continue;
        out[to_run_[i]] = p == "share_" ? share(pc.share[i]) : static_cast<float>(pc.served[i]);
      }
      return true;
    }
  }
  return false;
}

void Live::to_run(const std::vector<std::size_t>& session_parcels, std::vector<std::size_t>& out) const {
  out.clear();
  for (const std::size_t i : session_parcels)
    if (i < to_run_.size() && to_run_[i] != static_cast<std::size_t>(-1)) out.push_back(to_run_[i]);
}

std::size_t Live::to_session(std::size_t run_parcel) const {
  return run_parcel < to_session_.size() ? to_session_[run_parcel] : static_cast<std::size_t>(-1);
}

std::string Live::delta_text(const api::Delta& d) const {
  const std::int64_t n = d.residents_newly_served;
  if (d.class_name.empty()) return fmt::format("{}位居民的可达性改变 / access changed for {} residents", grouped(std::llabs(n)), grouped(std::llabs(n)));
  const auto name = [&]() -> std::pair<std::string, std::string> {
    static const std::vector<std::tuple<const char*, const char*, const char*>> names = {
        {"kindergarten", "幼儿园", "a kindergarten"},   {"elderly_care", "养老设施", "elderly care"}, {"primary_school", "小学", "a primary school"},
        {"middle_school", "初中", "a middle school"},    {"health", "社区卫生服务站", "a clinic"},     {"metro", "地铁站", "a metro station"},
        {"park", "公园", "a park"},                      {"green", "绿地", "green space"},            {"fire", "消防站", "a fire station"},
        {"greenway", "绿道", "a greenway"}};
    for (const auto& [k, zh, en] : names)
      if (d.class_name == k) return {zh, en};
    return {d.class_name, d.class_name};
  }();
  // How far: the class's life-circle tier in minutes where it has one, else its radius.
  std::string zh_reach, en_reach;
  for (const auto& c : run_.classes)
    if (c.name == d.class_name) {
      if (c.tier_min > 0) zh_reach = fmt::format("{}分钟内", c.tier_min), en_reach = fmt::format("within {} minutes of", c.tier_min);
      else if (c.radius_m > 0) zh_reach = fmt::format("{:.0f}米内", c.radius_m), en_reach = fmt::format("within {:.0f} m of", c.radius_m);
      else if (c.drive_min > 0) zh_reach = fmt::format("{:.0f}分钟车程内", c.drive_min), en_reach = fmt::format("within a {:.0f}-minute drive of", c.drive_min);
    }
  if (zh_reach.empty()) zh_reach = "步行可达", en_reach = "within reach of";
  if (n >= 0)
    return fmt::format("新增{}位居民 {}可达{}\n+{} residents now {} {}", grouped(n), zh_reach, name.first, grouped(n), en_reach, name.second);
  return fmt::format("减少{}位居民 {}可达{}\n{} residents no longer {} {}", grouped(-n), zh_reach, name.first, grouped(-n), en_reach, name.second);
}

}  // namespace ut::live
