// Viewer figures on a synthetic city of N square parcels (a grid with streets), 12 years of one
// indicator: scene build, per-year recolour, frame time off-screen (llvmpipe under Xvfb), draw
// calls and triangles. Usage (under xvfb-run): bench_viewer PARCELS [frames] [WIDTHxHEIGHT]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "render/hud.hpp"
#include "render/scene.hpp"
#include "render/view.hpp"
#include "run_data/run_data.hpp"

using namespace ut;
using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000;
  const int frames = argc > 2 ? std::atoi(argv[2]) : 20;
  int w = 1280, h = 720;
  if (argc > 3) std::sscanf(argv[3], "%dx%d", &w, &h);
  auto t0 = Clock::now();
  const auto data = run_data::synthetic(n, 12);
  const double data_s = since(t0);
  t0 = Clock::now();
  render::CityScene scene(data);
  const double build_s = since(t0);
  double recolour_max = 0, recolour_sum = 0;
  for (const int y : data.years) {
    const double s = scene.show("value", y);  // the first call also computes the range
    if (y != data.years.front()) {
      recolour_sum += s;
      recolour_max = std::max(recolour_max, s);
    }
  }
  const auto font = render::load_font(render::kDefaultFont);
  render::Hud hud(font.get(), w, h);
  hud.update(scene);
  osg::ref_ptr<osg::Group> root = new osg::Group;
  root->addChild(scene.root());
  root->addChild(hud.camera());
  render::Window win(w, h, true, false);
  win.viewer().setSceneData(root);
  render::apply(*win.viewer().getCamera(), render::bookmark("overview", data.half_extent), w, h, data.half_extent);
  win.viewer().realize();
  t0 = Clock::now();
  win.viewer().frame();  // first frame: compile and upload
  const double first_s = since(t0);
  t0 = Clock::now();
  for (int f = 0; f < frames; ++f) {
    scene.show("value", data.years[static_cast<std::size_t>(f) % data.years.size()]);  // a new year every frame
    win.viewer().frame();
  }
  const double frame_s = since(t0) / frames;
  std::printf("parcels %zu: synthetic data %.2f s, scene build %.2f s, recolour mean %.2f ms max %.2f ms, first frame %.2f s, "
              "frame %.1f ms (%dx%d, recolouring every frame), draw calls %zu, triangles %zu\n",
              n, data_s, build_s, 1000 * recolour_sum / static_cast<double>(data.years.size() - 1), 1000 * recolour_max, first_s,
              1000 * frame_s, w, h, scene.drawables() + 1, scene.triangles());
  return 0;
}
