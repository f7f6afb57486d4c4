#pragma once
// The live edits of the viewer, shared by the exhibition and the desk: a tapped block opens the
// edit menu; a class adds a facility at the block's centroid, a drag draws a greenway, undo
// reverts the last edit; each answer recolours only the parcels the edit changed and writes what
// changed in the status line. Nothing here ends the program: a refused edit is a message.
#include <cstddef>
#include <string>
#include <vector>

#include "app/tour.hpp"
#include "live/live.hpp"
#include "render/hud.hpp"
#include "render/menu.hpp"
#include "render/scene.hpp"

namespace ut::viewer {

class Editor {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  // `scene`: the scene of the session's run (no comparison). The menu's buttons: the offers,
  // "greenway" when allowed, then undo.
  Editor(live::Live& live, render::CityScene& scene, render::Hud& hud, render::EditMenu& menu, const LiveSettings& settings);

  static std::vector<std::pair<std::string, std::string>> menu_items(const LiveSettings& s);

  // Once a frame: the status line follows the session's state (opening, ready, failed).
  void poll();
  bool ready() const { return live_.ready(); }
  // A tap on a block (the run's parcel index): the menu opens for it (when the session is ready).
  void tap_parcel(std::size_t run_parcel);
  // A tap on a menu button (EditMenu::hit): an offer, greenway mode, or undo.
  void press(int button);
  // A drag on the map (local ground coordinates) while greenway mode is on: a greenway.
  void greenway(double x0, double y0, double x1, double y1);
  bool greenway_mode() const { return greenway_mode_; }
  void set_greenway_mode(bool on) { greenway_mode_ = on && settings_.greenway && live_.ready(); }
  void undo();
  // Reverts every edit, clears the marks, closes the menu (the exhibition's idle reset).
  void reset();
  void close_menu();

  bool editing() const { return editing_; }  // the session's values are shown
  std::size_t edits() const;                 // edits in the session now
  std::size_t target() const { return target_; }
  double last_seconds() const { return last_s_; }  // the last edit's session time (incl. recolour); 0 once read
  void clear_timing() { last_s_ = 0; }
  const std::string& last_message() const { return message_; }
  std::int64_t last_residents() const { return last_residents_; }
  std::size_t last_changed() const { return changed_.size(); }
  // Buttons of the menu: offers [0, offers), then greenway (if allowed), then undo.
  std::size_t greenway_button() const { return settings_.greenway ? settings_.offers.size() : npos; }
  std::size_t undo_button() const { return menu_.undo_button(); }
  std::size_t offer_button(const std::string& cls) const;

 private:
  live::Live& live_;
  render::CityScene& scene_;
  render::Hud& hud_;
  render::EditMenu& menu_;
  LiveSettings settings_;
  std::size_t target_ = npos;
  bool editing_ = false, greenway_mode_ = false;
  live::Live::State shown_state_ = live::Live::State::opening;
  std::string message_;
  std::int64_t last_residents_ = 0;
  double last_s_ = 0;
  std::vector<float> values_;
  std::vector<std::size_t> changed_;
  void add(std::size_t offer);
  void answer(const std::string& action);  // after an edit or undo: recolour and say what changed
  void refresh_buttons();
  void say(const std::string& text);
};

}  // namespace ut::viewer
