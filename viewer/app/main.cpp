// `urbantwin-viewer RUN_DIR`: the run directory in 3D. Interactive (desk), exhibition (fullscreen
// tour, unattended), or a headless snapshot (PNG + JSON sidecar). Exit codes: 0 success, 2 bad
// input or usage, 1 internal error. docs/viewer.md is the guide.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <osgDB/WriteFile>
#include <osgGA/GUIEventHandler>
#include <osgGA/TrackballManipulator>
#include <osgUtil/LineSegmentIntersector>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/tour.hpp"
#include "core/error.hpp"
#include "core/staging.hpp"
#include "core/version.hpp"
#include "render/hud.hpp"
#include "render/scene.hpp"
#include "render/view.hpp"
#include "run_data/run_data.hpp"

namespace fs = std::filesystem;
using namespace ut;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  fs::path run, compare, snapshot, exhibition, stats, font = render::kDefaultFont;
  std::string pick, focus;
  std::string indicator, camera = "overview", size = "1280x720", layers = "parcels,links,greenways,facilities";
  int year = 0, frames = 0, samples = 400;
  double touch_at = -1, keys_at = -1;
  bool window = false, no_legend = false, check_font = false;
};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

long rss_kib() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * 4;
}

render::Layers parse_layers(const std::string& s) {
  render::Layers l{false, false, false, false};
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "parcels") l.parcels = true;
    else if (item == "links") l.links = true;
    else if (item == "greenways") l.greenways = true;
    else if (item == "facilities") l.facilities = true;
    else if (item == "homes") l.homes = true;
    else throw core::InputError(core::Where{"", "", "--layers"}, "must list parcels, links, greenways, facilities, homes", "\"" + item + "\"");
  }
  return l;
}

void parse_size(const std::string& s, int& w, int& h) {
  if (std::sscanf(s.c_str(), "%dx%d", &w, &h) != 2 || w < 16 || h < 16 || w > 8192 || h > 8192)
    throw core::InputError(core::Where{"", "", "--size"}, "must be WIDTHxHEIGHT, each 16..8192", "\"" + s + "\"");
}

// The 15-minute life circle's share of residents within reach where the run has it, else density.
std::string default_indicator(const run_data::RunData& r) {
  for (const char* pref : {"cov_15min", "residents_per_ha", "residents"})
    for (const auto& n : r.indicators)
      if (n == pref) return n;
  return r.indicators.empty() ? "" : r.indicators.front();
}

// The scene plus HUD of one run (and comparison), kept for the life of the program.
struct Shown {
  std::unique_ptr<run_data::RunData> a, b;
  std::unique_ptr<render::CityScene> scene;
  osg::ref_ptr<osg::Group> root;
};

std::unique_ptr<Shown> make_shown(const fs::path& run, const fs::path& compare, render::Hud& hud) {
  auto s = std::make_unique<Shown>();
  s->a = std::make_unique<run_data::RunData>(run_data::load(run));
  if (!compare.empty()) s->b = std::make_unique<run_data::RunData>(run_data::load(compare));
  s->scene = std::make_unique<render::CityScene>(*s->a, s->b.get());
  s->root = new osg::Group;
  s->root->addChild(s->scene->root());
  s->root->addChild(hud.camera());
  return s;
}

std::string info_text(const render::CityScene& sc, std::size_t p) {
  const auto label = render::label_of(sc.indicator());
  std::string t = fmt::format("地块 parcel {} — {} {}\n", sc.run().parcel_id[p], label.zh, label.en);
  const auto series = sc.series(p);
  for (std::size_t y = 0; y < series.size(); ++y)
    t += fmt::format("{}: {}\n", sc.run().years[y], render::format_value(label, series[y]));
  return t;
}

// --focus PARCEL_ID[,HALF_M]: the camera looks at that parcel, HALF_M metres (default 600) above
// and below it.
render::CameraPose pose_of(const Args& a, const run_data::RunData& r) {
  const auto pose = render::bookmark(a.camera, r.half_extent);
  if (a.focus.empty()) return pose;
  long long id = 0;
  double half = 600;
  const int got = std::sscanf(a.focus.c_str(), "%lld,%lf", &id, &half);
  if (got < 1 || !(half >= 10 && half <= 1e6))
    throw core::InputError(core::Where{"", "", "--focus"}, "must be PARCEL_ID or PARCEL_ID,HALF_METRES (10..1000000)", "\"" + a.focus + "\"");
  const auto it = std::find(r.parcel_id.begin(), r.parcel_id.end(), id);
  if (it == r.parcel_id.end())
    throw core::InputError(core::Where{(r.dir / "outputs.gpkg").string(), "layer parcels", "--focus"}, "must name a parcel_id of the run",
                           std::to_string(id));
  const auto& anc = r.parcel_anchor[static_cast<std::size_t>(it - r.parcel_id.begin())];
  return render::focus(pose, osg::Vec3d(anc.x, anc.y, 0), half, r.half_extent);
}

int snapshot(const Args& a) {
  int w = 0, h = 0;
  parse_size(a.size, w, h);
  const auto t0 = Clock::now();
  const auto font = render::load_font(a.font.string());
  render::Hud hud(font.get(), w, h);
  auto shown = make_shown(a.run, a.compare, hud);
  const double build_s = seconds_since(t0);
  auto& sc = *shown->scene;
  const std::string indicator = a.indicator.empty() ? default_indicator(*shown->a) : a.indicator;
  const int year = a.year ? a.year : shown->a->years.back();
  const auto pose = pose_of(a, *shown->a);
  sc.set_layers(parse_layers(a.layers));
  const double recolour_s = sc.show(indicator, year);
  hud.update(sc);
  hud.set_legend_visible(!a.no_legend);
  render::Window win(w, h, true, false);
  win.viewer().setSceneData(shown->root.get());
  render::apply(*win.viewer().getCamera(), pose, w, h, shown->a->half_extent);
  win.viewer().realize();
  win.capture();  // first frame: compile shaders, upload textures
  const auto tf = Clock::now();
  osg::ref_ptr<osg::Image> img = win.capture();
  const double frame_s = seconds_since(tf);
  if (!img) throw std::runtime_error("no pixels were read back");

  // PNG (through a temporary sibling and a rename) and the JSON sidecar.
  const fs::path png = a.snapshot;
  core::Staging stage(png, core::Staging::Kind::file);
  const fs::path tmp_png = stage.temp().string() + ".png";
  if (!osgDB::writeImageFile(*img, tmp_png.string())) throw std::runtime_error("cannot write " + tmp_png.string() + " (osgdb_png plugin)");
  fs::rename(tmp_png, stage.temp());
  nlohmann::ordered_json j;
  j["png"] = png.filename().string();
  j["size"] = {w, h};
  j["run"] = fs::absolute(a.run).string();
  j["scenario"] = shown->a->scenario;
  if (!a.compare.empty()) j["compare"] = fs::absolute(a.compare).string();
  const auto label = render::label_of(indicator);
  j["indicator"] = {{"name", indicator}, {"zh", label.zh}, {"en", label.en}, {"unit", label.unit}};
  j["year"] = year;
  j["camera"] = {{"name", pose.name}, {"eye", {pose.eye.x(), pose.eye.y(), pose.eye.z()}}, {"center", {pose.center.x(), pose.center.y(), pose.center.z()}},
                 {"up", {pose.up.x(), pose.up.y(), pose.up.z()}}, {"orthographic", pose.ortho}, {"ortho_half_height_m", pose.ortho_half},
                 {"origin_crs", {shown->a->origin.x, shown->a->origin.y}}};
  if (!a.focus.empty()) j["camera"]["focus"] = a.focus;
  const auto& table = render::colormap(sc.map_kind());
  j["legend"] = {{"lo", sc.range().lo}, {"hi", sc.range().hi}, {"map", sc.comparing() ? "diverging (A - B)" : "sequential"},
                 {"zero_rgb", sc.comparing() ? nlohmann::json{table[127].r, table[127].g, table[127].b} : nlohmann::json()},
                 {"no_data_rgb", {render::kNoDataRgb.r, render::kNoDataRgb.g, render::kNoDataRgb.b}}};
  // The HUD covers the title and slider (top), the legend and the home points' key (bottom left)
  // and the attribution (bottom right); `pad` pixels more around them.
  auto hud_covers = [&](double x, double y, double pad) {
    const double lw = hud.legend_width(), lh = hud.legend_height();
    return y < 48 || (!a.no_legend && x < lw + pad && y > h - lh - pad) || (x > w - 340 && y > h - 26);
  };
  // Parcels whose anchor projects inside the picture, evenly spread; pixel rows from the top.
  auto& parcels = j["parcels"] = nlohmann::json::array();
  const std::size_t n = sc.run().parcel_id.size();
  const std::size_t step = std::max<std::size_t>(1, n / static_cast<std::size_t>(std::max(1, a.samples)));
  for (std::size_t p = 0; p < n && parcels.size() < static_cast<std::size_t>(a.samples); p += step) {
    double x = 0, y = 0;
    const auto& anc = sc.run().parcel_anchor[p];
    if (!render::project(*win.viewer().getCamera(), osg::Vec3d(anc.x, anc.y, sc.run().parcel_height[p]), w, h, x, y)) continue;
    const auto e = sc.entry(p);
    const auto c = table[e];
    // How far (in pixels) the sampled point lies inside its parcel: a check should only trust
    // pixels well inside (top camera: metres per pixel = 2 * half height / picture height).
    double inside_m = 1e300;
    for (const auto& poly : sc.run().parcel_shape[p])
      for (const auto& ring : poly.rings)
        for (std::size_t k = 0; k + 1 < ring.size(); ++k) {
          const double dx = ring[k + 1].x - ring[k].x, dy = ring[k + 1].y - ring[k].y;
          const double len2 = dx * dx + dy * dy;
          const double t = len2 > 0 ? std::clamp(((anc.x - ring[k].x) * dx + (anc.y - ring[k].y) * dy) / len2, 0.0, 1.0) : 0.0;
          inside_m = std::min(inside_m, std::hypot(anc.x - ring[k].x - t * dx, anc.y - ring[k].y - t * dy));
        }
    const double margin_px = pose.ortho ? inside_m / (2 * pose.ortho_half / h) : 0.0;
    // Parcels under the HUD are marked as possibly hidden.
    const bool under_hud = hud_covers(x, y, 2);
    parcels.push_back({{"parcel_id", sc.run().parcel_id[p]}, {"x", static_cast<int>(std::floor(x))}, {"y", static_cast<int>(std::floor(y))},
                       {"margin_px", std::floor(margin_px * 10) / 10},
                       {"value", std::isnan(sc.value(p)) ? nlohmann::json() : nlohmann::json(sc.value(p))}, {"entry", e}, {"rgb", {c.r, c.g, c.b}},
                       {"may_be_hidden", !pose.ortho || under_hud}});
  }
  if (sc.homes_shown()) {
    // Home points: how many are within reach of the shown class or tier, and for up to --samples
    // of them the pixel of their dot, its expected colour, and how far (pixels) the nearest other
    // dot's centre is (a check should trust only dots clear of their neighbours).
    const auto& hp = sc.run().homes;
    const auto key = sc.homes_key();
    std::array<long, 3> count{};
    std::array<long, 3> residents{};
    std::vector<std::array<double, 2>> px(hp.size(), {-1e9, -1e9});
    std::map<std::pair<int, int>, std::vector<std::size_t>> cells;  // 16-pixel cells of the dots in the picture
    for (std::size_t i = 0; i < hp.size(); ++i) {
      const std::uint8_t st = key == std::string::npos ? std::uint8_t{run_data::HomePoints::no_data} : hp.state[key][i];
      ++count[st];
      residents[st] += hp.residents[i];
      double x = 0, y = 0;
      const osg::Vec3d dot(hp.at[i].x, hp.at[i].y, sc.run().parcel_height[hp.parcel[i]] + 0.3);
      if (!render::project(*win.viewer().getCamera(), dot, w, h, x, y)) continue;
      px[i] = {x, y};
      cells[{static_cast<int>(x) / 16, static_cast<int>(y) / 16}].push_back(i);
    }
    auto& hj = j["home_points"];
    hj = {{"year", hp.year}, {"key", key == std::string::npos ? nlohmann::json() : nlohmann::json(hp.keys[key])},
          {"points", {{"within", count[1]}, {"not_within", count[0]}, {"no_data", count[2]}}},
          {"residents", {{"within", residents[1]}, {"not_within", residents[0]}, {"no_data", residents[2]}}}, {"samples", nlohmann::json::array()}};
    std::vector<std::size_t> inside;
    for (std::size_t i = 0; i < hp.size(); ++i)
      if (px[i][0] > -1e8) inside.push_back(i);
    const std::size_t hstep = std::max<std::size_t>(1, inside.size() / static_cast<std::size_t>(std::max(1, a.samples)));
    for (std::size_t s = 0; s < inside.size() && hj["samples"].size() < static_cast<std::size_t>(a.samples); s += hstep) {
      const std::size_t i = inside[s];
      const auto [x, y] = px[i];
      double clear = 1e9;
      const int cx = static_cast<int>(x) / 16, cy = static_cast<int>(y) / 16;
      for (int dx = -1; dx <= 1; ++dx)
        for (int dy = -1; dy <= 1; ++dy)
          if (const auto it = cells.find({cx + dx, cy + dy}); it != cells.end())
            for (std::size_t o : it->second)
              if (o != i) clear = std::min(clear, std::hypot(px[o][0] - x, px[o][1] - y));
      const std::uint8_t st = key == std::string::npos ? std::uint8_t{run_data::HomePoints::no_data} : hp.state[key][i];
      const auto c = render::home_colour(st);
      const bool under_hud = hud_covers(x, y, 4);
      hj["samples"].push_back({{"point_id", hp.point_id[i]}, {"parcel_id", sc.run().parcel_id[hp.parcel[i]]}, {"x", static_cast<int>(std::floor(x))},
                               {"y", static_cast<int>(std::floor(y))}, {"clear_px", std::min(999.0, std::floor(clear * 10) / 10)},
                               {"state", st == 1 ? "within" : st == 0 ? "not_within" : "no_data"}, {"rgb", {c.r, c.g, c.b}},
                               {"may_be_hidden", !pose.ortho || under_hud}});
    }
  }
  if (!a.pick.empty()) {
    // What a click at this pixel (x right, y down) picks: the parcel and its values over the years.
    int px = 0, py = 0;
    if (std::sscanf(a.pick.c_str(), "%d,%d", &px, &py) != 2)
      throw core::InputError(core::Where{"", "", "--pick"}, "must be X,Y in pixels", "\"" + a.pick + "\"");
    nlohmann::json picked;
    osgUtil::LineSegmentIntersector::Intersections hits;
    if (win.viewer().computeIntersections(win.viewer().getCamera(), osgUtil::Intersector::WINDOW, static_cast<float>(px) + 0.5f, static_cast<float>(h - py) - 0.5f, hits))
      for (const auto& hit : hits) {
        const auto p = sc.parcel_of(hit.drawable.get(), hit.primitiveIndex);
        if (p < 0) continue;
        const auto series = sc.series(static_cast<std::size_t>(p));
        picked = {{"parcel_id", sc.run().parcel_id[static_cast<std::size_t>(p)]}, {"years", sc.run().years}, {"values", nlohmann::json::array()}};
        for (float v : series) picked["values"].push_back(std::isnan(v) ? nlohmann::json() : nlohmann::json(v));
        picked["info"] = info_text(sc, static_cast<std::size_t>(p));
        break;
      }
    j["pick"] = picked;
  }
  j["draw_calls"] = sc.drawables() + 1;  // + the HUD
  j["triangles"] = sc.triangles();
  j["seconds"] = {{"scene_build", build_s}, {"recolour", recolour_s}, {"frame", frame_s}};
  j["attribution"] = "© OpenStreetMap contributors, ODbL";
  {
    fs::path side = png;
    side.replace_extension(".json");
    core::Staging js(side, core::Staging::Kind::file);
    std::ofstream(js.temp()) << j.dump(2) << "\n";
    js.commit();
  }
  stage.commit();
  fmt::print("wrote {} and its .json ({}x{}, {} {}, {}; scene {:.3f} s, recolour {:.4f} s, frame {:.3f} s)\n", png.string(), w, h, indicator, year,
             pose.name, build_s, recolour_s, frame_s);
  return 0;
}

// Keys and clicks at the desk: space play/pause, left/right year, i/I indicator, 1-5 layers,
// c camera bookmark, l legend, click a parcel for its values over the years, click the slider.
struct Desk : public osgGA::GUIEventHandler {
  render::CityScene* sc;
  render::Hud* hud;
  std::vector<std::string> indicators;
  bool playing = false, legend = true;
  double next_step = 0;
  std::size_t camera = 0;
  double half_extent;
  osg::ref_ptr<osgGA::TrackballManipulator> manip;

  void step_year(int d) {
    const auto& ys = sc->run().years;
    auto it = std::find(ys.begin(), ys.end(), sc->year());
    std::ptrdiff_t i = (it - ys.begin()) + d;
    if (i < 0) i = static_cast<std::ptrdiff_t>(ys.size()) - 1;
    if (i >= static_cast<std::ptrdiff_t>(ys.size())) i = 0;
    sc->show(sc->indicator(), ys[static_cast<std::size_t>(i)]);
    hud->update(*sc);
  }

  bool handle(const osgGA::GUIEventAdapter& ea, osgGA::GUIActionAdapter& aa) override {
    auto* view = dynamic_cast<osgViewer::View*>(&aa);
    if (ea.getEventType() == osgGA::GUIEventAdapter::FRAME) {
      if (playing && ea.getTime() >= next_step) {
        step_year(1);
        next_step = ea.getTime() + 1.2;
      }
      return false;
    }
    if (ea.getEventType() == osgGA::GUIEventAdapter::RESIZE) {
      hud->resize(ea.getWindowWidth(), ea.getWindowHeight());
      hud->update(*sc);
      return false;
    }
    if (ea.getEventType() == osgGA::GUIEventAdapter::KEYDOWN) {
      const int k = ea.getKey();
      render::Layers l = sc->layers();
      if (k == ' ') playing = !playing, next_step = ea.getTime();
      else if (k == osgGA::GUIEventAdapter::KEY_Right) step_year(1);
      else if (k == osgGA::GUIEventAdapter::KEY_Left) step_year(-1);
      else if (k == 'i' || k == 'I') {
        auto it = std::find(indicators.begin(), indicators.end(), sc->indicator());
        std::ptrdiff_t i = (it - indicators.begin()) + (k == 'i' ? 1 : -1);
        const auto n = static_cast<std::ptrdiff_t>(indicators.size());
        sc->show(indicators[static_cast<std::size_t>((i % n + n) % n)], sc->year());
        hud->update(*sc);
      } else if (k >= '1' && k <= '5') {
        bool* flags[] = {&l.parcels, &l.links, &l.greenways, &l.facilities, &l.homes};
        *flags[k - '1'] = !*flags[k - '1'];
        sc->set_layers(l);
        hud->update(*sc);
      } else if (k == 'c') {
        camera = (camera + 1) % render::bookmark_names().size();
        const auto pose = render::bookmark(render::bookmark_names()[camera], half_extent);
        manip->setTransformation(pose.eye, pose.center, pose.up);
      } else if (k == 'l') {
        legend = !legend;
        hud->set_legend_visible(legend);
      } else {
        return false;
      }
      return true;
    }
    if (ea.getEventType() == osgGA::GUIEventAdapter::RELEASE && ea.getButton() == osgGA::GUIEventAdapter::LEFT_MOUSE_BUTTON && view) {
      int y = 0;
      if (hud->slider_year(*sc, ea.getX(), ea.getY(), y)) {
        sc->show(sc->indicator(), y);
        hud->update(*sc);
        return true;
      }
      osgUtil::LineSegmentIntersector::Intersections hits;
      if (view->computeIntersections(ea, hits)) {
        for (const auto& hit : hits) {
          const auto p = sc->parcel_of(hit.drawable.get(), hit.primitiveIndex);
          if (p >= 0) {
            hud->set_info(info_text(*sc, static_cast<std::size_t>(p)));
            return true;
          }
        }
      }
      hud->set_info("");
    }
    return false;
  }
};

int interactive(const Args& a) {
  int w = 0, h = 0;
  parse_size(a.size, w, h);
  const auto font = render::load_font(a.font.string());
  render::Hud hud(font.get(), w, h);
  auto shown = make_shown(a.run, a.compare, hud);
  auto& sc = *shown->scene;
  sc.set_layers(parse_layers(a.layers));
  sc.show(a.indicator.empty() ? default_indicator(*shown->a) : a.indicator, a.year ? a.year : shown->a->years.back());
  hud.update(sc);
  render::Window win(w, h, false, false);
  auto& v = win.viewer();
  v.setSceneData(shown->root.get());
  const auto pose = pose_of(a, *shown->a);
  osg::ref_ptr<osgGA::TrackballManipulator> manip = new osgGA::TrackballManipulator;
  manip->setHomePosition(pose.eye, pose.center, pose.up);
  v.setCameraManipulator(manip);
  v.getCamera()->setComputeNearFarMode(osg::CullSettings::COMPUTE_NEAR_FAR_USING_BOUNDING_VOLUMES);
  osg::ref_ptr<Desk> desk = new Desk;
  desk->sc = &sc;
  desk->hud = &hud;
  desk->indicators = shown->a->indicators;
  desk->half_extent = shown->a->half_extent;
  desk->manip = manip;
  v.addEventHandler(desk);
  return v.run();
}

// Exhibition: the tour runs by itself; any input pauses it for free exploring; after the idle
// time it resumes. Only the operator's exit key ends the program (Escape does nothing).
struct Kiosk : public osgGA::GUIEventHandler {
  const double* clock = nullptr;  // the tour's clock (simulated when headless)
  double last_input = -1e9;
  int exit_key = osgGA::GUIEventAdapter::KEY_F12;
  bool quit = false;
  bool handle(const osgGA::GUIEventAdapter& ea, osgGA::GUIActionAdapter&) override {
    switch (ea.getEventType()) {
      case osgGA::GUIEventAdapter::KEYDOWN:
        if (ea.getKey() == exit_key) quit = true;
        last_input = *clock;
        return true;
      case osgGA::GUIEventAdapter::PUSH:
      case osgGA::GUIEventAdapter::DRAG:
      case osgGA::GUIEventAdapter::SCROLL:
        last_input = *clock;
        return false;
      default:
        return false;
    }
  }
};

int key_code(const std::string& name, const fs::path& file) {
  static const std::map<std::string, int> keys = {{"F9", osgGA::GUIEventAdapter::KEY_F9}, {"F10", osgGA::GUIEventAdapter::KEY_F10},
                                                  {"F11", osgGA::GUIEventAdapter::KEY_F11}, {"F12", osgGA::GUIEventAdapter::KEY_F12},
                                                  {"Pause", osgGA::GUIEventAdapter::KEY_Pause}};
  auto it = keys.find(name);
  if (it == keys.end()) throw core::InputError(core::Where{file.string(), "", "key exit_key"}, "must be one of F9, F10, F11, F12, Pause", "\"" + name + "\"");
  return it->second;
}

int exhibition(const Args& a) {
  const auto tour = viewer::load_tour(a.exhibition);
  const bool headless = a.frames > 0;
  int w = 0, h = 0;
  parse_size(a.size, w, h);
  const auto font = render::load_font(a.font.string());
  render::Window win(w, h, headless, !headless && !a.window);
  w = win.width();
  h = win.height();
  render::Hud hud(font.get(), w, h);
  // Every run the tour names is loaded and built once, up front: nothing is allocated per stop.
  const fs::path runs_dir = a.run.parent_path();
  auto path_of = [&](const std::string& name) { return name.empty() ? a.run : runs_dir / name; };
  std::map<std::pair<fs::path, fs::path>, std::unique_ptr<Shown>> scenes;
  for (const auto& st : tour.stops) {
    const auto key = std::make_pair(path_of(st.run), st.compare.empty() ? fs::path() : path_of(st.compare));
    if (!scenes.count(key)) scenes[key] = make_shown(key.first, key.second, hud);
    auto& sc = *scenes[key]->scene;
    sc.run().indicator_index(st.indicator);  // validate now, not in the middle of the day
    if (st.year) sc.run().year_index(st.year);
    render::bookmark(st.camera, sc.run().half_extent);
  }
  auto& v = win.viewer();
  v.setKeyEventSetsDone(0);  // Escape does not end an exhibition
  double now = 0;
  long paused_frames = 0, resumes = 0;
  bool was_paused = false;
  osg::ref_ptr<Kiosk> kiosk = new Kiosk;
  kiosk->clock = &now;
  kiosk->exit_key = key_code(tour.exit_key, tour.file);
  v.addEventHandler(kiosk);
  osg::ref_ptr<osgGA::TrackballManipulator> manip = new osgGA::TrackballManipulator;
  v.setCameraManipulator(manip, false);
  v.realize();
  const double dt = 1.0 / 30;  // headless: a fixed step, so the tour is the same every run
  double t = 0;
  std::size_t stop = tour.stops.size();
  double stop_started = 0;
  render::CityScene* current = nullptr;
  long rss_start = 0, rss_frame = 0;
  std::vector<long> rss_per_tour;  // at the end of each completed tour
  double frame_sum = 0;
  long frames = 0, tours = 0;
  while (!v.done() && !kiosk->quit) {
    now = headless ? t : v.elapsedTime();
    if (headless && a.touch_at >= 0 && t >= a.touch_at && t < a.touch_at + dt) {
      // Test hook: a visitor touches the screen (a mouse press and release in the middle).
      v.getEventQueue()->mouseButtonPress(static_cast<float>(w) / 2, static_cast<float>(h) / 2, 1);
      v.getEventQueue()->mouseButtonRelease(static_cast<float>(w) / 2, static_cast<float>(h) / 2, 1);
    }
    if (headless && a.keys_at >= 0 && t >= a.keys_at && t < a.keys_at + dt)
      v.getEventQueue()->keyPress(osgGA::GUIEventAdapter::KEY_Escape);  // must not end the exhibition
    if (headless && a.keys_at >= 0 && t >= a.keys_at + 1 && t < a.keys_at + 1 + dt) v.getEventQueue()->keyPress(kiosk->exit_key);
    const bool idle = now - kiosk->last_input >= tour.idle_seconds;
    if (!idle) ++paused_frames;
    if (idle && was_paused) ++resumes;
    was_paused = !idle;
    if (idle) {
      if (stop == tour.stops.size() || now - stop_started >= tour.stops[stop].seconds) {
        const bool first = stop == tour.stops.size();
        stop = first ? 0 : (stop + 1) % tour.stops.size();
        if (!first && stop == 0) {
          ++tours;
          // Memory is measured from the start of the second tour: by then every scene has been
          // shown once and its textures and buffers exist.
          if (tours == 1) rss_start = rss_kib(), rss_frame = frames;
          rss_per_tour.push_back(rss_kib());
        }
        stop_started = now;
        const auto& st = tour.stops[stop];
        auto& shown = *scenes.at({path_of(st.run), st.compare.empty() ? fs::path() : path_of(st.compare)});
        current = shown.scene.get();
        if (v.getSceneData() != shown.root.get()) v.setSceneData(shown.root.get());
        current->show(st.indicator, st.year ? st.year : current->run().years.back());
        hud.set_caption(st.caption_zh, st.caption_en);
        const auto pose = render::bookmark(st.camera, current->run().half_extent);
        manip->setTransformation(pose.eye, pose.center, pose.up);
        render::apply(*v.getCamera(), pose, w, h, current->run().half_extent);
        v.getCamera()->setComputeNearFarMode(osg::CullSettings::COMPUTE_NEAR_FAR_USING_BOUNDING_VOLUMES);
        hud.update(*current);
      } else if (tour.stops[stop].play) {
        // Play through the years over the stop.
        const auto& ys = current->run().years;
        const double f = (now - stop_started) / tour.stops[stop].seconds;
        const int y = ys[std::min(ys.size() - 1, static_cast<std::size_t>(f * static_cast<double>(ys.size())))];
        if (y != current->year()) {
          current->show(current->indicator(), y);
          hud.update(*current);
        }
      }
      // A slow orbit around the centre while a stop shows.
      osg::Vec3d eye, center, up;
      manip->getTransformation(eye, center, up);
      const osg::Matrixd rot = osg::Matrixd::rotate(dt * 0.02, osg::Vec3d(0, 0, 1));
      manip->setTransformation(center + (eye - center) * rot, center, up);
    }
    const auto f0 = Clock::now();
    v.frame(now);
    frame_sum += seconds_since(f0);
    ++frames;
    t += dt;
    if (headless && frames >= a.frames) break;
  }
  const long rss_end = rss_kib();
  nlohmann::ordered_json j{{"frames", frames}, {"ended_by_exit_key", kiosk->quit}, {"tours_completed", tours}, {"mean_frame_ms", frames ? 1000 * frame_sum / static_cast<double>(frames) : 0},
                           {"frames_paused_by_input", paused_frames}, {"tour_resumed", resumes},
                           {"rss_measured_from_frame", rss_frame}, {"rss_kib_then", rss_start}, {"rss_kib_at_end", rss_end},
                           {"rss_kib_after_each_tour", rss_per_tour},
                           {"rss_growth_pct", rss_start ? 100.0 * static_cast<double>(rss_end - rss_start) / static_cast<double>(rss_start) : 0}};
  if (!a.stats.empty()) std::ofstream(a.stats) << j.dump(2) << "\n";
  if (headless) fmt::print("{}\n", j.dump());
  return 0;
}

// Renders CJK and Latin glyphs of the font and checks each differs from the font's missing-glyph
// image (a private-use code point): exit 0 when they do, 1 when the font lacks them.
int check_font(const Args& a) {
  const auto font = render::load_font(a.font.string());
  const osgText::FontResolution res(48, 48);
  auto bitmap = [&](unsigned code) {
    osgText::Glyph* g = font->getGlyph(res, code);
    std::vector<unsigned char> px;
    if (g && g->data()) px.assign(g->data(), g->data() + g->getTotalSizeInBytes());
    return px;
  };
  const auto missing = bitmap(0xE000);
  nlohmann::ordered_json j{{"font", a.font.string()}};
  bool ok = true;
  for (const auto& [name, code] : std::vector<std::pair<std::string, unsigned>>{{"成", 0x6210}, {"都", 0x90FD}, {"绿", 0x7EFF}, {"道", 0x9053}, {"A", 0x41}}) {
    const auto px = bitmap(code);
    std::size_t ink = 0;
    for (auto c : px) ink += c > 64;
    const bool good = ink > 20 && px != missing;
    ok &= good;
    j["glyphs"][name] = {{"ink_pixels", ink}, {"differs_from_missing_glyph", px != missing}};
  }
  j["ok"] = ok;
  fmt::print("{}\n", j.dump());
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"UrbanTwin viewer: a run directory in 3D (desk, exhibition, snapshots)"};
  app.set_version_flag("--version", ut::core::version_line("urbantwin-viewer"),
                       "Print the version and the git commit it was built from, and exit");
  Args a;
  app.add_option("run_dir", a.run, "Run directory written by urbantwin run");
  app.add_option("--indicator", a.indicator,
                 "Parcel value to colour by (a parcel_years field, or residents_per_ha; default cov_15min where the run has it, else residents_per_ha)");
  app.add_option("--year", a.year, "Year to show (default: the last)");
  app.add_option("--camera", a.camera, "Camera bookmark: overview, top, south, east, close");
  app.add_option("--compare", a.compare, "Another run of the same city: colour the difference A - B");
  app.add_option("--layers", a.layers, "Layers to draw, comma-separated: parcels,links,greenways,facilities,homes (homes: off unless named)");
  app.add_option("--focus", a.focus, "Look at this parcel: PARCEL_ID[,HALF_METRES] (default 600 m above and below it)");
  app.add_option("--size", a.size, "Window or picture size WIDTHxHEIGHT (default 1280x720)");
  app.add_option("--snapshot", a.snapshot, "Render off-screen to this PNG (and a .json sidecar) and exit");
  app.add_option("--samples", a.samples, "Parcels listed with their pixel in the sidecar (default 400)")->check(CLI::Range(0, 1000000));
  app.add_flag("--no-legend", a.no_legend, "Hide the legend (the attribution stays)");
  app.add_option("--pick", a.pick, "Snapshot: record in the sidecar what a click at pixel X,Y (from the top left) picks");
  app.add_option("--exhibition", a.exhibition, "Run a tour (TOML) fullscreen, unattended");
  app.add_option("--frames", a.frames, "Exhibition: render this many frames off-screen and exit (tests)")->check(CLI::Range(1, 100000000));
  app.add_option("--stats", a.stats, "Exhibition: write frame and memory figures (JSON) here");
  app.add_flag("--window", a.window, "Exhibition: in a window instead of fullscreen");
  app.add_option("--touch-at", a.touch_at, "Exhibition with --frames: a visitor touches the screen at this tour second (tests)");
  app.add_option("--keys-at", a.keys_at, "Exhibition with --frames: Escape at this tour second, the exit key one second later (tests)");
  app.add_option("--font", a.font, "CJK font file (default: WenQuanYi Zen Hei from fonts-wqy-zenhei)");
  app.add_flag("--check-font", a.check_font, "Check that the font renders Chinese glyphs and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (a.check_font) return check_font(a);
    if (a.run.empty()) throw core::InputError(core::Where{"", "", "run_dir"}, "a run directory is required", "");
    if (!a.snapshot.empty()) return snapshot(a);
    if (!a.exhibition.empty()) return exhibition(a);
    return interactive(a);
  } catch (const core::InputError& e) {
    fmt::print(stderr, "urbantwin-viewer: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "urbantwin-viewer: internal error: {}\n", e.what());
    return 1;
  }
}
