#pragma once
// Live what-ifs for the viewer: an edit session (the engine's public API, ut::api) for the run the
// viewer shows, opened in a background thread so the tour or the desk starts at once. It maps the
// session's parcels to the run's (by parcel_id), gives the session's current values of a shown
// indicator in the run's parcel order, and writes what an edit changed in Chinese and English.
// No OpenSceneGraph here; the viewer's app draws.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/api.hpp"
#include "run_data/run_data.hpp"

namespace ut::live {

class Live {
 public:
  enum class State { opening, ready, failed };

  // Starts opening the run's scenario (its scenario.toml as run) and stepping it to `year` in a
  // background thread. `history_limit`: the session's undo history (the exhibition's budget).
  Live(const run_data::RunData& run, int year, std::size_t history_limit);
  ~Live();
  Live(const Live&) = delete;
  Live& operator=(const Live&) = delete;

  State state() const { return state_.load(); }
  bool ready() const { return state() == State::ready; }
  // When failed: the reason (an InputError's message); empty while opening (the opening thread
  // writes it before it publishes the state).
  const std::string& error() const { return state() == State::opening ? none_ : error_; }
  double open_seconds() const { return state() == State::opening ? 0 : open_s_; }  // when ready
  int year() const { return year_; }
  // Blocks until the session is ready or failed (tests with a fixed clock).
  void wait() const;

  api::Session& session() { return *session_; }
  const api::Session& session() const { return *session_; }

  // The session's current values (after the edits) of a viewer indicator in the run's parcel
  // order (NaN where a parcel has no value): share_<class>, served_<class>, cov_5min / cov_10min /
  // cov_15min. False for an indicator the session does not answer.
  bool values(const std::string& indicator, std::vector<float>& out) const;
  // The run's parcel indices of session parcels (an edit's Delta::parcels_changed).
  void to_run(const std::vector<std::size_t>& session_parcels, std::vector<std::size_t>& out) const;
  // The session parcel of a run parcel (npos when the session lacks it).
  std::size_t to_session(std::size_t run_parcel) const;
  // Run CRS coordinates of a local point (the viewer draws in metres from the run's origin).
  geo::Point to_crs(double x, double y) const { return {x + run_.origin.x, y + run_.origin.y}; }

  // The indicator an edit of a class is shown with.
  static std::string indicator_of(const std::string& cls) { return "share_" + cls; }
  // What the last edit (or undo) changed, in Chinese and English, e.g. "新增3,120位居民 5分钟内可达幼儿园
  // / +3,120 residents now within 5 minutes of a kindergarten".
  std::string delta_text(const api::Delta& d) const;

 private:
  const run_data::RunData& run_;
  int year_;
  std::size_t history_limit_;
  std::atomic<State> state_{State::opening};
  std::atomic<bool> cancel_{false};  // the viewer is closing: stop opening after the year being stepped
  std::string error_;
  inline static const std::string none_;
  double open_s_ = 0;
  std::unique_ptr<api::Model> model_;
  std::unique_ptr<api::Session> session_;
  std::vector<std::size_t> to_run_, to_session_;
  std::thread thread_;
  void open();
  api::Model open_scenario() const;
};

// Thousands separated by commas: 3120 -> "3,120".
std::string grouped(std::int64_t n);

}  // namespace ut::live
