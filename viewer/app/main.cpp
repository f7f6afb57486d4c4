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
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/editor.hpp"
#include "app/tour.hpp"
#include "live/live.hpp"
#include "render/menu.hpp"
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
  fs::path script, save_as;  // exhibition test events; the desk's "save as scenario" file
  int edit_every = 0;        // exhibition soak: a visitor's action every N frames
  bool no_live = false;      // no edit session
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

// A window point of an event: x right, y up from the bottom, in pixels of a w x h window (events
// from a window and events a test puts in the queue alike).
void window_xy(const osgGA::GUIEventAdapter& ea, int w, int h, double& x, double& y_up) {
  const double xr = ea.getXmax() - ea.getXmin(), yr = ea.getYmax() - ea.getYmin();
  double nx = xr != 0 ? (ea.getX() - ea.getXmin()) / xr : 0, ny = yr != 0 ? (ea.getY() - ea.getYmin()) / yr : 0;
  if (ea.getMouseYOrientation() == osgGA::GUIEventAdapter::Y_INCREASING_DOWNWARDS) ny = 1 - ny;
  x = nx * w;
  y_up = ny * h;
}

// The parcel under a window point (x right, y up), or -1.
std::ptrdiff_t pick_parcel(osgViewer::View& view, const render::CityScene& sc, double x, double y_up) {
  osgUtil::LineSegmentIntersector::Intersections hits;
  if (view.computeIntersections(view.getCamera(), osgUtil::Intersector::WINDOW, static_cast<float>(x), static_cast<float>(y_up), hits))
    for (const auto& hit : hits)
      if (const auto p = sc.parcel_of(hit.drawable.get(), hit.primitiveIndex); p >= 0) return p;
  return -1;
}

// The ground point (z = 0, local metres) under a window point (x right, y up), or false.
bool ground_at(const osg::Camera& cam, double x, double y_up, osg::Vec3d& out) {
  const osg::Matrixd vpw = cam.getViewMatrix() * cam.getProjectionMatrix() * cam.getViewport()->computeWindowMatrix();
  const osg::Matrixd inv = osg::Matrixd::inverse(vpw);
  const osg::Vec3d a = osg::Vec3d(x, y_up, 0) * inv, b = osg::Vec3d(x, y_up, 1) * inv;
  if (std::abs(b.z() - a.z()) < 1e-12) return false;
  const double t = -a.z() / (b.z() - a.z());
  if (!(t >= 0 && t <= 1.000001)) return false;
  out = a + (b - a) * t;
  return true;
}

// A point well inside a parcel (local metres) at least `clear_m` from `avoid` (an edit's column
// stands on the block's centroid): where a test reads the block's roof colour. False if none.
bool probe_point(const geo::MultiPolygon& shape, const geo::Point& anchor, const geo::Point& avoid, double clear_m, geo::Point& out) {
  auto inside = [&](double x, double y) {
    bool in = false;
    double edge = 1e300;
    for (const auto& poly : shape)
      for (const auto& ring : poly.rings)
        for (std::size_t k = 0; k + 1 < ring.size(); ++k) {
          const auto& a = ring[k];
          const auto& b = ring[k + 1];
          if ((a.y > y) != (b.y > y) && x < a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)) in = !in;
          const double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
          const double t = len2 > 0 ? std::clamp(((x - a.x) * dx + (y - a.y) * dy) / len2, 0.0, 1.0) : 0.0;
          edge = std::min(edge, std::hypot(x - a.x - t * dx, y - a.y - t * dy));
        }
    return in && edge >= 12;
  };
  for (const double r : {0.0, 70.0, 90.0, 110.0, 60.0})
    for (int k = 0; k < 16; ++k) {
      const double x = anchor.x + r * std::cos(k * M_PI / 8), y = anchor.y + r * std::sin(k * M_PI / 8);
      if (std::hypot(x - avoid.x, y - avoid.y) >= clear_m && inside(x, y)) {
        out = {x, y};
        return true;
      }
    }
  return false;
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
  j["attribution"] = run_data::credit_line(sc.other() ? std::vector<std::string>{sc.run().attribution, sc.other()->attribution}
                                                               : std::vector<std::string>{sc.run().attribution},
                                           "© OpenStreetMap contributors, ODbL");  // the runs' data's
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

// Test events (`--script FILE` with --frames; the exhibition, and the desk for tap_parcel, choose,
// undo (Ctrl+Z there) and save (key S)): one per line, `SECOND ACTION ARGS`, at
// that tour second: `tap_parcel ID` (a tap on the block's roof), `choose CLASS` (its menu button;
// `greenway` for the greenway button), `undo` (the undo button), `drag_parcels ID ID` (a drag
// from one block to another), `probe ID LABEL` (record the block's pixel and expected colour),
// `shot FILE.png` (write the frame).
struct ScriptEvent {
  double t = 0;
  std::string action;
  std::vector<std::string> args;
};

std::vector<ScriptEvent> load_script(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw core::InputError(core::Where{file.string(), "", ""}, "the script file must exist", "missing");
  std::vector<ScriptEvent> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (const auto h = line.find('#'); h != std::string::npos) line.erase(h);
    std::istringstream ls(line);
    ScriptEvent e;
    if (!(ls >> e.t)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      throw core::InputError(core::Where{file.string(), fmt::format("line {}", n), ""}, "must start with a tour second", "\"" + line + "\"");
    }
    ls >> e.action;
    for (std::string w; ls >> w;) e.args.push_back(w);
    static const std::map<std::string, std::size_t> arity = {{"tap_parcel", 1}, {"choose", 1}, {"undo", 0}, {"drag_parcels", 2}, {"probe", 2}, {"shot", 1}, {"save", 0}};
    const auto it = arity.find(e.action);
    if (it == arity.end() || it->second != e.args.size())
      throw core::InputError(core::Where{file.string(), fmt::format("line {}", n), ""},
                             "must be tap_parcel ID, choose CLASS, undo, drag_parcels ID ID, probe ID LABEL, shot FILE.png or save (desk)", "\"" + line + "\"");
    if (!out.empty() && e.t < out.back().t)
      throw core::InputError(core::Where{file.string(), fmt::format("line {}", n), ""}, "seconds must not decrease", std::to_string(e.t));
    out.push_back(std::move(e));
  }
  return out;
}

// The desk's "save as scenario" file: the --save-as path, else the first free whatif-<n>.toml
// next to the run directory (never an existing file: an input may lie there).
fs::path next_whatif(const fs::path& run) {
  const fs::path dir = fs::absolute(run).lexically_normal().parent_path();
  for (int n = 1; n < 10000; ++n)
    if (const fs::path f = dir / fmt::format("whatif-{}.toml", n); !fs::exists(f)) return f;
  throw core::InputError(core::Where{dir.string(), "", ""}, "a free whatif-<n>.toml name is needed next to the run", "none below 10000");
}

// Keys and clicks at the desk: space play/pause, left/right year, i/I indicator, 1-5 layers,
// c camera bookmark, l legend, click a parcel for its values over the years (and the edit menu),
// click the slider; live edits: g then a left drag draws a greenway, Ctrl+Z undoes, S saves the
// edits as a what-if scenario.
struct Desk : public osgGA::GUIEventHandler {
  render::CityScene* sc;
  render::Hud* hud;
  std::vector<std::string> indicators;
  bool playing = false, legend = true;
  double next_step = 0;
  std::size_t camera = 0;
  double half_extent;
  osg::ref_ptr<osgGA::TrackballManipulator> manip;
  viewer::Editor* editor = nullptr;
  render::EditMenu* menu = nullptr;
  live::Live* live = nullptr;
  fs::path run, save_as;
  int width = 0, height = 0;
  double press_x = 0, press_y = 0;

  void step_year(int d) {
    const auto& ys = sc->run().years;
    auto it = std::find(ys.begin(), ys.end(), sc->year());
    std::ptrdiff_t i = (it - ys.begin()) + d;
    if (i < 0) i = static_cast<std::ptrdiff_t>(ys.size()) - 1;
    if (i >= static_cast<std::ptrdiff_t>(ys.size())) i = 0;
    sc->show(sc->indicator(), ys[static_cast<std::size_t>(i)]);
    hud->update(*sc);
  }

  void save() {
    if (!live || !live->ready()) return;
    try {
      const fs::path out = save_as.empty() ? next_whatif(run) : save_as;
      live->session().save_scenario(out);
      menu->set_status(fmt::format("已保存 saved: {}", out.string()));
    } catch (const std::exception& e) {
      menu->set_status(fmt::format("未保存 not saved: {}", e.what()).substr(0, 200));
    }
  }

  bool handle(const osgGA::GUIEventAdapter& ea, osgGA::GUIActionAdapter& aa) override {
    try {
      return handle_input(ea, aa);
    } catch (const std::exception& e) {
      // An edit that fails (out of memory in a rebuild, say) is reported, never ends the desk.
      if (menu) menu->set_status(fmt::format("未完成 not done: {}", e.what()).substr(0, 200));
      fmt::print(stderr, "urbantwin-viewer: an input was ignored: {}\n", e.what());
      return true;
    }
  }
  bool handle_input(const osgGA::GUIEventAdapter& ea, osgGA::GUIActionAdapter& aa) {
    auto* view = dynamic_cast<osgViewer::View*>(&aa);
    if (ea.getEventType() == osgGA::GUIEventAdapter::FRAME) {
      if (editor) editor->poll();
      if (playing && ea.getTime() >= next_step) {
        step_year(1);
        next_step = ea.getTime() + 1.2;
      }
      return false;
    }
    if (ea.getEventType() == osgGA::GUIEventAdapter::RESIZE) {
      width = ea.getWindowWidth(), height = ea.getWindowHeight();
      hud->resize(width, height);
      if (menu) menu->resize(width, height);
      hud->update(*sc);
      return false;
    }
    if (ea.getEventType() == osgGA::GUIEventAdapter::KEYDOWN) {
      const int k = ea.getKey();
      const bool ctrl = (ea.getModKeyMask() & osgGA::GUIEventAdapter::MODKEY_CTRL) != 0;
      render::Layers l = sc->layers();
      if (editor && ctrl && (k == 'z' || k == 'Z' || k == 26)) editor->undo();  // 26: Ctrl+Z as a control character
      else if (editor && k == 'g') {
        editor->set_greenway_mode(!editor->greenway_mode());
        if (editor->greenway_mode()) menu->set_status("左键拖动画出绿道 / left-drag to draw a greenway");
      } else if (editor && k == 'S') save();
      else if (k == ' ') playing = !playing, next_step = ea.getTime();
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
    double x = 0, y = 0;
    window_xy(ea, width, height, x, y);
    const bool left = ea.getButton() == osgGA::GUIEventAdapter::LEFT_MOUSE_BUTTON;
    // Greenway mode and the menu's buttons take the left button from the camera.
    if (editor && ea.getEventType() == osgGA::GUIEventAdapter::PUSH && left) {
      press_x = x, press_y = y;
      if (editor->greenway_mode() || menu->hit(x, y) >= 0) return true;
    }
    if (editor && ea.getEventType() == osgGA::GUIEventAdapter::DRAG && editor->greenway_mode()) return true;
    if (ea.getEventType() == osgGA::GUIEventAdapter::RELEASE && left && view) {
      if (editor && editor->greenway_mode()) {
        osg::Vec3d a, b;
        if (std::hypot(x - press_x, y - press_y) > 8 && ground_at(*view->getCamera(), press_x, press_y, a) && ground_at(*view->getCamera(), x, y, b))
          editor->greenway(a.x(), a.y(), b.x(), b.y());
        return true;
      }
      if (editor) {
        if (const int b = menu->hit(x, y); b >= 0) {
          editor->press(b);
          return true;
        }
      }
      int yr = 0;
      if (hud->slider_year(*sc, ea.getX(), ea.getY(), yr)) {
        sc->show(sc->indicator(), yr);
        hud->update(*sc);
        return true;
      }
      if (std::hypot(x - press_x, y - press_y) > 4) return false;  // the end of an orbit, not a click
      const auto p = pick_parcel(*view, *sc, x, y);
      if (p >= 0) {
        hud->set_info(info_text(*sc, static_cast<std::size_t>(p)));
        if (editor) editor->tap_parcel(static_cast<std::size_t>(p));
        return true;
      }
      hud->set_info("");
      if (editor) editor->close_menu();
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
  const int year = a.year ? a.year : shown->a->years.back();
  sc.show(a.indicator.empty() ? default_indicator(*shown->a) : a.indicator, year);
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
  desk->run = a.run;
  desk->save_as = a.save_as;
  desk->width = w, desk->height = h;
  // Live edits of the run at the year shown (not when comparing two runs): the session opens in
  // the background; the edit menu works once it is ready.
  viewer::LiveSettings desk_live;
  desk_live.budget = 50;  // the desk's undo history
  std::unique_ptr<live::Live> lv;
  std::unique_ptr<render::EditMenu> menu;
  std::unique_ptr<viewer::Editor> editor;
  if (!a.no_live && a.compare.empty()) {
    lv = std::make_unique<live::Live>(*shown->a, year, static_cast<std::size_t>(desk_live.budget));
    menu = std::make_unique<render::EditMenu>(font.get(), w, h, viewer::Editor::menu_items(desk_live));
    hud.camera()->addChild(menu->node());
    editor = std::make_unique<viewer::Editor>(*lv, sc, hud, *menu, desk_live);
    desk->editor = editor.get();
    desk->menu = menu.get();
    desk->live = lv.get();
  }
  v.addEventHandler(desk);
  int rc = 0;
  if (!a.script.empty()) {
    // Test hook: the script's events at a fixed 30 frames a second, through the event queue, in a
    // window under Xvfb; then the program ends.
    if (a.frames <= 0) throw core::InputError(core::Where{"", "", "--script"}, "is a test hook: it needs --frames", "");
    const auto script = load_script(a.script);
    v.getEventQueue()->getCurrentEventState()->setInputRange(0, 0, static_cast<float>(w), static_cast<float>(h));
    v.getEventQueue()->getCurrentEventState()->setMouseYOrientation(osgGA::GUIEventAdapter::Y_INCREASING_DOWNWARDS);
    v.realize();
    std::size_t next = 0;
    auto tap_at = [&](double x, double y) {
      v.getEventQueue()->mouseButtonPress(static_cast<float>(x), static_cast<float>(y), 1);
      v.getEventQueue()->mouseButtonRelease(static_cast<float>(x), static_cast<float>(y), 1);
    };
    for (int f = 0; f < a.frames && !v.done(); ++f) {
      const double t = f / 30.0;
      while (next < script.size() && script[next].t < t + 1.0 / 60) {
        const auto& e = script[next++];
        if (lv) lv->wait();
        if (e.action == "tap_parcel") {
          const auto& r = *shown->a;
          const auto it = std::find(r.parcel_id.begin(), r.parcel_id.end(), std::stoll(e.args[0]));
          double x = 0, y = 0;
          if (it != r.parcel_id.end()) {
            const auto p = static_cast<std::size_t>(it - r.parcel_id.begin());
            if (render::project(*v.getCamera(), osg::Vec3d(r.parcel_anchor[p].x, r.parcel_anchor[p].y, r.parcel_height[p]), w, h, x, y))
              tap_at(std::floor(x) + 0.5, std::floor(y) + 0.5);
          }
        } else if (e.action == "choose" && editor) {
          const std::size_t b = e.args[0] == "greenway" ? editor->greenway_button() : editor->offer_button(e.args[0]);
          if (b != viewer::Editor::npos) {
            const auto [bx, by] = menu->centre(b);
            tap_at(bx, h - by);
          }
        } else if (e.action == "undo") {
          auto* state = v.getEventQueue()->getCurrentEventState();
          state->setModKeyMask(osgGA::GUIEventAdapter::MODKEY_LEFT_CTRL);
          v.getEventQueue()->keyPress('z');
          v.getEventQueue()->keyRelease('z');
          state->setModKeyMask(0);
        } else if (e.action == "save") {
          v.getEventQueue()->keyPress('S');
        }
      }
      v.frame(t);
    }
    if (editor) fmt::print("{}\n", nlohmann::json{{"edits", editor->edits()}, {"status", menu->status()}}.dump());
  } else {
    rc = v.run();
  }
  if (lv && lv->state() == live::Live::State::failed) fmt::print(stderr, "urbantwin-viewer: live edits were not available: {}\n", lv->error());
  return rc;
}

// Exhibition: the tour runs by itself; any input pauses it for free exploring; after the idle
// time it resumes (and a visitor's edits are reverted). A tap on a block opens the edit menu.
// Only the operator's exit key ends the program (Escape and every other key do nothing).
struct Kiosk : public osgGA::GUIEventHandler {
  const double* clock = nullptr;  // the tour's clock (simulated when headless)
  double last_input = -1e9;
  int exit_key = osgGA::GUIEventAdapter::KEY_F12;
  bool quit = false;
  viewer::Editor* editor = nullptr;
  render::EditMenu* menu = nullptr;
  std::function<std::ptrdiff_t(osgViewer::View&, double, double)> pick;  // the session run's parcel under a point, or -1
  int width = 0, height = 0;
  double press_x = 0, press_y = 0;
  long taps = 0;
  bool handle(const osgGA::GUIEventAdapter& ea, osgGA::GUIActionAdapter& aa) override {
    try {
      return handle_input(ea, aa);
    } catch (const std::exception& e) {
      // Whatever a visitor does, the show goes on (the reason is on stderr for the operator).
      fmt::print(stderr, "urbantwin-viewer: a visitor's input was ignored: {}\n", e.what());
      return true;
    }
  }
  bool handle_input(const osgGA::GUIEventAdapter& ea, osgGA::GUIActionAdapter& aa) {
    double x = 0, y = 0;
    switch (ea.getEventType()) {
      case osgGA::GUIEventAdapter::KEYDOWN:
        if (ea.getKey() == exit_key) quit = true;
        last_input = *clock;
        return true;
      case osgGA::GUIEventAdapter::PUSH:
        last_input = *clock;
        window_xy(ea, width, height, x, y);
        press_x = x, press_y = y;
        // The menu's buttons and a greenway drag take the touch from the camera.
        return editor && (menu->hit(x, y) >= 0 || editor->greenway_mode());
      case osgGA::GUIEventAdapter::DRAG:
        last_input = *clock;
        return editor && editor->greenway_mode();
      case osgGA::GUIEventAdapter::SCROLL:
        last_input = *clock;
        return false;
      case osgGA::GUIEventAdapter::RELEASE: {
        last_input = *clock;
        auto* view = dynamic_cast<osgViewer::View*>(&aa);
        if (!editor || !view) return false;
        window_xy(ea, width, height, x, y);
        if (editor->greenway_mode()) {
          osg::Vec3d p0, p1;
          if (std::hypot(x - press_x, y - press_y) > 8 && ground_at(*view->getCamera(), press_x, press_y, p0) && ground_at(*view->getCamera(), x, y, p1))
            editor->greenway(p0.x(), p0.y(), p1.x(), p1.y());
          return true;
        }
        if (const int btn = menu->hit(x, y); btn >= 0) {
          editor->press(btn);
          return true;
        }
        if (std::hypot(x - press_x, y - press_y) > 8) return false;  // a drag: the camera's
        ++taps;
        if (const auto p = pick(*view, x, y); p >= 0) editor->tap_parcel(static_cast<std::size_t>(p));
        else editor->close_menu();
        return false;
      }
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
  const auto script = a.script.empty() ? std::vector<ScriptEvent>() : load_script(a.script);
  if ((!script.empty() || a.edit_every > 0) && !headless)
    throw core::InputError(core::Where{"", "", a.edit_every > 0 ? "--edit-every" : "--script"}, "is a test hook: it needs --frames", "");
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
  // Live edits: a session of RUN_DIR at its last year, opened in the background; visitors edit
  // its scene (built here if the tour does not show RUN_DIR alone).
  const bool live_on = tour.live.enabled && !a.no_live;
  Shown* edit_shown = nullptr;
  std::unique_ptr<live::Live> lv;
  std::unique_ptr<render::EditMenu> menu;
  std::unique_ptr<viewer::Editor> editor;
  if (live_on) {
    const auto key = std::make_pair(a.run, fs::path());
    if (!scenes.count(key)) scenes[key] = make_shown(a.run, fs::path(), hud);
    edit_shown = scenes[key].get();
    for (const auto& o : tour.live.offers) {
      const auto& cls = edit_shown->a->classes;
      if (std::none_of(cls.begin(), cls.end(), [&](const run_data::ClassReach& c) { return c.name == o.cls; }))
        throw core::InputError(core::Where{tour.file.string(), "", "key live.offer.class"}, "must name a coverage class of the run (manifest.json classes)",
                               "\"" + o.cls + "\"");
    }
    lv = std::make_unique<live::Live>(*edit_shown->a, edit_shown->a->years.back(), static_cast<std::size_t>(tour.live.budget));
    menu = std::make_unique<render::EditMenu>(font.get(), w, h, viewer::Editor::menu_items(tour.live));
    hud.camera()->addChild(menu->node());
    editor = std::make_unique<viewer::Editor>(*lv, *edit_shown->scene, hud, *menu, tour.live);
  }
  auto& v = win.viewer();
  v.setKeyEventSetsDone(0);  // Escape does not end an exhibition
  if (headless) {
    // Test events are put in the queue in window pixels (x right, y down), as a window reports them.
    v.getEventQueue()->getCurrentEventState()->setInputRange(0, 0, static_cast<float>(w), static_cast<float>(h));
    v.getEventQueue()->getCurrentEventState()->setMouseYOrientation(osgGA::GUIEventAdapter::Y_INCREASING_DOWNWARDS);
  }
  double now = 0;
  long paused_frames = 0, resumes = 0, resets = 0;
  bool was_paused = false;
  render::CityScene* current = nullptr;
  osg::ref_ptr<Kiosk> kiosk = new Kiosk;
  kiosk->clock = &now;
  kiosk->exit_key = key_code(tour.exit_key, tour.file);
  kiosk->editor = editor.get();
  kiosk->menu = menu.get();
  kiosk->width = w, kiosk->height = h;
  // A tap picks a block of the scene on screen; edits are made on the session run's scene, so the
  // picked block is found there by its id and that scene is shown.
  std::map<std::int64_t, std::size_t> edit_index;
  if (edit_shown)
    for (std::size_t p = 0; p < edit_shown->a->parcel_id.size(); ++p) edit_index[edit_shown->a->parcel_id[p]] = p;
  kiosk->pick = [&](osgViewer::View& view, double x, double y) -> std::ptrdiff_t {
    if (!current || !editor || !editor->ready()) return -1;
    const auto p = pick_parcel(view, *current, x, y);
    if (p < 0) return -1;
    const auto it = edit_index.find(current->run().parcel_id[static_cast<std::size_t>(p)]);
    if (it == edit_index.end()) return -1;
    if (current != edit_shown->scene.get()) {
      view.setSceneData(edit_shown->root.get());
      current = edit_shown->scene.get();
      current->show(current->indicator().empty() ? default_indicator(*edit_shown->a) : current->indicator(), lv->year());
      hud.update(*current);
    }
    hud.set_caption("", "");
    return static_cast<std::ptrdiff_t>(it->second);
  };
  v.addEventHandler(kiosk);
  osg::ref_ptr<osgGA::TrackballManipulator> manip = new osgGA::TrackballManipulator;
  v.setCameraManipulator(manip, false);
  v.realize();
  const double dt = 1.0 / 30;  // headless: a fixed step, so the tour is the same every run
  double t = 0;
  std::size_t stop = tour.stops.size();
  double stop_started = 0;
  bool restart_stop = false;
  long rss_start = 0, rss_frame = 0;
  std::vector<long> rss_per_tour;   // at the end of each completed tour
  std::vector<long> rss_per_reset;  // headless: at each visitor's reset
  double frame_sum = 0;
  long frames = 0, tours = 0;
  // Test records: what each scripted action did, the probed pixels, the edits' times.
  nlohmann::ordered_json actions = nlohmann::json::array(), probes = nlohmann::json::array();
  std::vector<double> edit_ms;
  std::size_t next_event = 0;
  long visitor_actions = 0;
  auto wait_live = [&] {
    if (lv) lv->wait();
    if (editor) editor->poll();
  };
  // The window pixel (x right, y down) of a block's roof on the scene shown now.
  auto parcel_px = [&](std::int64_t id, double& x, double& y) {
    if (!current) return false;
    const auto& r = current->run();
    const auto it = std::find(r.parcel_id.begin(), r.parcel_id.end(), id);
    if (it == r.parcel_id.end()) return false;
    const auto p = static_cast<std::size_t>(it - r.parcel_id.begin());
    return render::project(*v.getCamera(), osg::Vec3d(r.parcel_anchor[p].x, r.parcel_anchor[p].y, r.parcel_height[p]), w, h, x, y);
  };
  auto tap_at = [&](double x, double y) {  // y down
    v.getEventQueue()->mouseButtonPress(static_cast<float>(x), static_cast<float>(y), 1);
    v.getEventQueue()->mouseButtonRelease(static_cast<float>(x), static_cast<float>(y), 1);
  };
  auto tap_button = [&](std::size_t b) {
    const auto [bx, by] = menu->centre(b);
    tap_at(bx, h - by);
  };
  while (!v.done() && !kiosk->quit) {
    now = headless ? t : v.elapsedTime();
    if (headless && a.touch_at >= 0 && t >= a.touch_at && t < a.touch_at + dt) {
      // Test hook: a visitor touches the screen (a mouse press and release in the middle).
      tap_at(static_cast<double>(w) / 2, static_cast<double>(h) / 2);
    }
    if (headless && a.keys_at >= 0 && t >= a.keys_at && t < a.keys_at + dt)
      v.getEventQueue()->keyPress(osgGA::GUIEventAdapter::KEY_Escape);  // must not end the exhibition
    if (headless && a.keys_at >= 0 && t >= a.keys_at + 1 && t < a.keys_at + 1 + dt) v.getEventQueue()->keyPress(kiosk->exit_key);
    const bool idle = now - kiosk->last_input >= tour.idle_seconds;
    if (!idle) ++paused_frames;
    if (idle && was_paused) {
      ++resumes;
      // The visitor has gone: their edits are reverted and the tour's stop is shown again.
      if (editor && (editor->edits() > 0 || editor->editing() || (edit_shown && current == edit_shown->scene.get()))) {
        editor->reset();
        restart_stop = true;
        ++resets;
        if (a.edit_every > 0 && resets == 1) rss_start = rss_kib(), rss_frame = frames;
        if (headless) rss_per_reset.push_back(rss_kib());
      } else if (editor) {
        editor->close_menu();
      }
    }
    was_paused = !idle;
    if (idle) {
      if (stop == tour.stops.size() || restart_stop || now - stop_started >= tour.stops[stop].seconds) {
        const bool first = stop == tour.stops.size();
        if (!restart_stop || first) {
          stop = first ? 0 : (stop + 1) % tour.stops.size();
          if (!first && stop == 0) {
            ++tours;
            // Memory is measured from the start of the second tour: by then every scene has been
            // shown once and its textures and buffers exist (with --edit-every: from the first
            // visitor's reset, when the session and the edit marks exist too).
            if (tours == 1 && a.edit_every == 0) rss_start = rss_kib(), rss_frame = frames;
            rss_per_tour.push_back(rss_kib());
          }
          stop_started = now;
        }
        restart_stop = false;
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
    if (editor) editor->poll();
    // Scripted visitor actions (tests): put in the event queue like a visitor's touches.
    bool probed = false;
    while (headless && next_event < script.size() && script[next_event].t < t + dt / 2) {
      const auto& e = script[next_event++];
      wait_live();
      nlohmann::ordered_json rec{{"t", e.t}, {"action", e.action}, {"args", e.args}};
      if (e.action == "tap_parcel" || e.action == "probe") {
        double x = 0, y = 0;
        const bool on = parcel_px(std::stoll(e.args[0]), x, y);
        rec["x"] = x, rec["y"] = y, rec["on_screen"] = on;
        if (e.action == "tap_parcel" && on) tap_at(std::floor(x) + 0.5, std::floor(y) + 0.5);
        if (e.action == "probe" && on && !probed) {
          // This frame is rendered and read back: the block's roof pixel against the colour of
          // the value shown (the session's while editing) and of the value the session reports.
          osg::ref_ptr<osg::Image> img = win.capture(now);
          probed = true;
          const auto& r = current->run();
          const auto p = static_cast<std::size_t>(std::find(r.parcel_id.begin(), r.parcel_id.end(), std::stoll(e.args[0])) - r.parcel_id.begin());
          // A point of the roof clear of an edit's column on the block's centroid (and of the anchor).
          geo::Point avoid = r.parcel_anchor[p];
          if (lv && lv->ready() && lv->to_session(p) != viewer::Editor::npos) {
            const auto c = lv->session().parcel_centroid(lv->to_session(p));
            avoid = {c.x - r.origin.x, c.y - r.origin.y};
          }
          geo::Point at = r.parcel_anchor[p];
          rec["clear_of_marks"] = probe_point(r.parcel_shape[p], r.parcel_anchor[p], avoid, 60, at);
          render::project(*v.getCamera(), osg::Vec3d(at.x, at.y, r.parcel_height[p]), w, h, x, y);
          const int px = static_cast<int>(std::floor(x)), py = static_cast<int>(std::floor(y));
          const unsigned char* d = img && px >= 0 && py >= 0 && px < w && py < h ? img->data(px, h - 1 - py) : nullptr;
          const auto& table = render::colormap(current->map_kind());
          const auto c = table[current->entry(p)];
          rec["label"] = e.args[1];
          rec["x"] = px, rec["y"] = py;
          rec["indicator"] = current->indicator();
          rec["year"] = current->year();
          rec["value"] = std::isnan(current->value(p)) ? nlohmann::json() : nlohmann::json(current->value(p));
          rec["entry"] = current->entry(p);
          rec["expected_rgb"] = {c.r, c.g, c.b};
          rec["pixel_rgb"] = d ? nlohmann::json{d[0], d[1], d[2]} : nlohmann::json();
          rec["range"] = {current->range().lo, current->range().hi};
          rec["may_be_hidden"] = (menu && menu->covers(px, py)) || py < 52 || py > h - 130;
          rec["editing"] = editor && editor->editing();
          rec["edits"] = editor ? editor->edits() : 0;
          rec["status"] = menu ? menu->status() : std::string();
          if (lv && lv->ready() && current == edit_shown->scene.get()) {
            std::vector<float> sv;
            if (lv->values(current->indicator(), sv))
              rec["session_value"] = std::isnan(sv[p]) ? nlohmann::json() : nlohmann::json(sv[p]);
          }
          probes.push_back(rec);
        }
      } else if (e.action == "choose" && menu) {
        const std::size_t b = e.args[0] == "greenway" ? editor->greenway_button() : editor->offer_button(e.args[0]);
        if (b != viewer::Editor::npos) tap_button(b);
        rec["button"] = b == viewer::Editor::npos ? nlohmann::json() : nlohmann::json(b);
      } else if (e.action == "shot" && !probed) {
        // The frame as a PNG (documentation pictures), through a temporary sibling and a rename.
        osg::ref_ptr<osg::Image> img = win.capture(now);
        probed = true;
        if (img) {
          core::Staging stage(e.args[0], core::Staging::Kind::file);
          const fs::path tmp_png = stage.temp().string() + ".png";
          if (!osgDB::writeImageFile(*img, tmp_png.string())) throw std::runtime_error("cannot write " + tmp_png.string() + " (osgdb_png plugin)");
          fs::rename(tmp_png, stage.temp());
          stage.commit();
        }
      } else if (e.action == "undo" && menu) {
        tap_button(editor->undo_button());
      } else if (e.action == "drag_parcels") {
        double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        if (parcel_px(std::stoll(e.args[0]), x0, y0) && parcel_px(std::stoll(e.args[1]), x1, y1)) {
          v.getEventQueue()->mouseButtonPress(static_cast<float>(x0), static_cast<float>(y0), 1);
          v.getEventQueue()->mouseMotion(static_cast<float>((x0 + x1) / 2), static_cast<float>((y0 + y1) / 2));
          v.getEventQueue()->mouseButtonRelease(static_cast<float>(x1), static_cast<float>(y1), 1);
        }
      }
      actions.push_back(rec);
    }
    // Soak hook: a visitor acts every N frames (a tap on a block, then a class or undo) for 30
    // actions, then leaves; the idle time reverts their edits; then the next one.
    if (headless && a.edit_every > 0 && editor && frames > 0) {
      const long cycle = 30 * a.edit_every + static_cast<long>(tour.idle_seconds * 30) + 60;
      const long in = frames % cycle;
      if (in < 30 * a.edit_every && in % a.edit_every <= 1) {
        wait_live();
        const long k = visitor_actions / 2;  // the action's number (two steps: tap, then the button)
        // add, add, undo, add, undo, undo: at most two edits at a time, each answered.
        const bool undo = k % 6 == 2 || k % 6 >= 4;
        if (in % a.edit_every == 0) {
          // A block near the middle of the screen, clear of the menu: one of the visible ones, in turn.
          const auto& r = current->run();
          for (std::size_t tries = 0; tries < r.parcel_id.size(); ++tries) {
            const std::size_t p = static_cast<std::size_t>((k * 7919 + static_cast<long>(tries) * 104729) % static_cast<long>(r.parcel_id.size()));
            double x = 0, y = 0;
            if (!parcel_px(r.parcel_id[p], x, y) || x < 0.15 * w || x > 0.5 * w || y < 0.3 * h || y > 0.7 * h) continue;
            tap_at(std::floor(x) + 0.5, std::floor(y) + 0.5);
            break;
          }
        } else if (menu->open()) {
          if (undo) tap_button(editor->undo_button());
          else tap_button(static_cast<std::size_t>(k % static_cast<long>(tour.live.offers.size())));
        }
        ++visitor_actions;
      }
    }
    const auto f0 = Clock::now();
    if (!probed) v.frame(now);
    const double frame_s = seconds_since(f0);
    frame_sum += frame_s;
    if (editor && editor->last_seconds() > 0 && headless) {
      // An edit was answered in this frame: the frame (the tap's event, the session's answer, the
      // recolour and the render) is the tap-to-recoloured-frame time (recorded in tests only).
      edit_ms.push_back(1000 * frame_s);
      if (!actions.empty() && !actions.back().contains("frame_ms"))
        actions.back()["frame_ms"] = 1000 * frame_s, actions.back()["edit_ms"] = 1000 * editor->last_seconds(),
        actions.back()["residents_newly_served"] = editor->last_residents(), actions.back()["parcels_changed"] = editor->last_changed(),
        actions.back()["message"] = editor->last_message();
      editor->clear_timing();
    }
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
  if (lv) {
    j["live"] = {{"state", lv->ready() ? "ready" : lv->state() == live::Live::State::failed ? "failed" : "opening"}, {"error", lv->error()},
                 {"open_seconds", lv->open_seconds()}, {"year", lv->year()}, {"budget", tour.live.budget}, {"taps", kiosk->taps},
                 {"edits_answered", edit_ms.size()}, {"visitor_resets", resets}, {"visitor_actions", visitor_actions},
                 {"rss_kib_after_each_reset", rss_per_reset}};
    if (!edit_ms.empty()) {
      std::vector<double> s = edit_ms;
      std::sort(s.begin(), s.end());
      j["live"]["edit_frame_ms_median"] = s[s.size() / 2];
      j["live"]["edit_frame_ms_p95"] = s[std::min(s.size() - 1, s.size() * 95 / 100)];
      j["live"]["edit_frame_ms_max"] = s.back();
    }
  }
  if (!script.empty()) j["actions"] = actions, j["probes"] = probes;
  if (!a.stats.empty()) std::ofstream(a.stats) << j.dump(2) << "\n";
  if (headless) {
    j.erase("actions");
    j.erase("probes");
    fmt::print("{}\n", j.dump());
  }
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
  app.add_option("--script", a.script, "Exhibition with --frames: visitor actions at tour seconds, one a line (tests; docs/viewer.md)");
  app.add_option("--edit-every", a.edit_every, "Exhibition with --frames: a visitor's action every N frames (soak test)")->check(CLI::Range(2, 100000));
  app.add_option("--save-as", a.save_as, "Desk: the file \"save as scenario\" (key S) writes (default: whatif-<n>.toml next to the run)");
  app.add_flag("--no-live", a.no_live, "Do not open an edit session (no live what-ifs)");
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
    // "runs/x/" (a shell's completion) names the run, not a folder inside it: its siblings (the
    // tour's runs, the desk's whatif-<n>.toml) are then found next to it.
    a.run = a.run.lexically_normal();
    if (a.run.filename().empty()) a.run = a.run.parent_path();
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
