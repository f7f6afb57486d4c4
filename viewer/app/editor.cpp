#include "app/editor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace ut::viewer {

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

Editor::Editor(live::Live& live, render::CityScene& scene, render::Hud& hud, render::EditMenu& menu, const LiveSettings& settings)
    : live_(live), scene_(scene), hud_(hud), menu_(menu), settings_(settings) {
  scene_.reserve_marks(static_cast<std::size_t>(settings_.budget));
  say("编辑准备中… / preparing live edits…");
}

std::vector<std::pair<std::string, std::string>> Editor::menu_items(const LiveSettings& s) {
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& o : s.offers) items.emplace_back(o.zh, o.en);
  if (s.greenway) items.emplace_back("绿道", "greenway (drag)");
  return items;
}

std::size_t Editor::offer_button(const std::string& cls) const {
  for (std::size_t i = 0; i < settings_.offers.size(); ++i)
    if (settings_.offers[i].cls == cls) return i;
  return npos;
}

std::size_t Editor::edits() const { return live_.ready() ? live_.session().edit_count() : 0; }

void Editor::say(const std::string& text) {
  message_ = text;
  menu_.set_status(text);
}

void Editor::poll() {
  const auto st = live_.state();
  if (st == shown_state_) return;
  shown_state_ = st;
  if (st == live::Live::State::ready) say("");
  else if (st == live::Live::State::failed) say("");  // no edits today; the tour goes on (the reason is on stderr)
}

void Editor::refresh_buttons() {
  const bool room = edits() < static_cast<std::size_t>(settings_.budget);
  for (std::size_t b = 0; b < menu_.items(); ++b) menu_.set_enabled(b, room);
  menu_.set_enabled(menu_.undo_button(), edits() > 0);
  const auto id = target_ == npos ? 0 : scene_.run().parcel_id[target_];
  menu_.set_title(target_ == npos ? fmt::format("修改 edits {}/{}", edits(), settings_.budget)
                                  : fmt::format("地块 block {} · 修改 edits {}/{}", id, edits(), settings_.budget));
}

void Editor::tap_parcel(std::size_t run_parcel) {
  if (!live_.ready()) {
    say(live_.state() == live::Live::State::failed ? "实时编辑不可用 / live edits are not available" : "编辑准备中… / preparing live edits…");
    return;
  }
  if (live_.to_session(run_parcel) == npos) return;
  target_ = run_parcel;
  greenway_mode_ = false;
  menu_.set_open(true);
  refresh_buttons();
}

void Editor::close_menu() {
  menu_.set_open(false);
  target_ = npos;
  greenway_mode_ = false;
}

void Editor::press(int button) {
  if (button < 0 || !live_.ready()) return;
  const auto b = static_cast<std::size_t>(button);
  if (b == menu_.undo_button()) undo();
  else if (b == greenway_button()) set_greenway_mode(edits() < static_cast<std::size_t>(settings_.budget));
  else if (b < settings_.offers.size()) add(b);
  if (greenway_mode_) say("在地图上拖动画出绿道 / drag on the map to draw a greenway");
}

void Editor::add(std::size_t offer) {
  if (target_ == npos) return;
  if (edits() >= static_cast<std::size_t>(settings_.budget)) {
    say(fmt::format("已用完{}次修改：可以撤销 / all {} edits used: undo one to try another", settings_.budget, settings_.budget));
    return;
  }
  const auto t0 = Clock::now();
  const auto& cls = settings_.offers[offer].cls;
  auto& s = live_.session();
  const geo::Point at = s.parcel_centroid(live_.to_session(target_));
  try {
    s.add_facility(cls, at);
  } catch (const std::exception& e) {
    // Refused (no street in reach, an unknown class): nothing changed.
    say(fmt::format("这里不能添加 / cannot add here: {}", e.what()).substr(0, 160));
    return;
  }
  scene_.add_facility_mark(cls, at.x - scene_.run().origin.x, at.y - scene_.run().origin.y);
  answer("add");
  last_s_ = since(t0);
}

void Editor::greenway(double x0, double y0, double x1, double y1) {
  greenway_mode_ = false;
  if (!live_.ready()) return;
  if (edits() >= static_cast<std::size_t>(settings_.budget)) {
    say(fmt::format("已用完{}次修改：可以撤销 / all {} edits used: undo one to try another", settings_.budget, settings_.budget));
    return;
  }
  const auto t0 = Clock::now();
  geo::LineString line{live_.to_crs(x0, y0), live_.to_crs(x1, y1)};
  try {
    live_.session().add_greenway(line);
  } catch (const std::exception& e) {
    say(fmt::format("这里不能修绿道 / no greenway here: {}", e.what()).substr(0, 160));
    return;
  }
  scene_.add_greenway_mark(x0, y0, x1, y1);
  answer("greenway");
  last_s_ = since(t0);
}

void Editor::undo() {
  if (!live_.ready()) return;
  const auto t0 = Clock::now();
  if (!live_.session().undo()) return;
  scene_.pop_mark();
  answer("undo");
  last_s_ = since(t0);
}

void Editor::answer(const std::string& action) {
  const auto& d = live_.session().last_delta();
  std::string ind = scene_.indicator();
  const auto& classes = live_.session().classes();
  if (!d.class_name.empty() && std::find(classes.begin(), classes.end(), d.class_name) != classes.end()) ind = live::Live::indicator_of(d.class_name);
  bool full = !editing_ || ind != scene_.indicator() || scene_.year() != live_.year();
  if (!live_.values(ind, values_)) {
    ind = "cov_15min";
    full = true;
    live_.values(ind, values_);
  }
  live_.to_run(d.parcels_changed, changed_);
  if (full) {
    try {
      scene_.show(ind, live_.year());  // the run's values and the indicator's range, legend
    } catch (const std::exception&) {
      // The run lacks the indicator (an older run): keep what is shown; a visitor's edit must
      // never end the show.
      ind = scene_.indicator();
      if (!live_.values(ind, values_)) return say(live_.delta_text(d));
    }
    scene_.set_all_values(values_);  // then the session's
    hud_.update(scene_);
    editing_ = true;
  } else {
    scene_.set_values(changed_, values_);
  }
  last_residents_ = d.residents_newly_served;
  say((action == "undo" ? "撤销 undone: " : "") + live_.delta_text(d));
  refresh_buttons();
}

void Editor::reset() {
  if (live_.ready() && live_.session().edit_count() > 0) live_.session().reset();
  scene_.clear_marks();
  close_menu();
  editing_ = false;
  changed_.clear();
  say("");
}

}  // namespace ut::viewer
