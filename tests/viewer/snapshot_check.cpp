// Checks viewer snapshots against their JSON sidecars, pixel by pixel. Independent of the viewer's
// code: reads the PNG with OpenSceneGraph's png plugin and the sidecar with nlohmann-json.
//   snapshot_check colours SNAP.png            every listed parcel (well inside, top camera) shows
//                                              exactly the colour its value maps to
//   snapshot_check zero SNAP.png               every listed parcel shows the zero colour (A - A)
//   snapshot_check recolour A.png B.png        same camera, two years: a parcel's pixel changes
//                                              exactly when its colour-map entry changes
//   snapshot_check points SNAP.png             every listed home point (top camera, clear of other
//                                              dots) shows its dot's colour: within reach or not
#include <osgDB/ReadFile>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace {

struct Snap {
  osg::ref_ptr<osg::Image> img;
  nlohmann::json side;
};

Snap load(const std::string& png) {
  Snap s;
  s.img = osgDB::readRefImageFile(png);
  std::string js = png.substr(0, png.size() - 4) + ".json";
  s.side = nlohmann::json::parse(std::ifstream(js));
  if (!s.img) throw std::runtime_error("cannot read " + png);
  return s;
}

// RGB at (x, y), y counted from the top of the picture.
std::array<int, 3> pixel(const osg::Image& img, int x, int y) {
  const int row = img.getOrigin() == osg::Image::BOTTOM_LEFT ? img.t() - 1 - y : y;
  const unsigned char* p = img.data(x, row);
  return {p[0], p[1], p[2]};
}

std::array<int, 3> rgb(const nlohmann::json& j) { return {j[0].get<int>(), j[1].get<int>(), j[2].get<int>()}; }

bool trusted(const nlohmann::json& p) { return !p.value("may_be_hidden", true) && p.value("margin_px", 0.0) >= 2.0; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: snapshot_check colours|zero|points SNAP.png | recolour A.png B.png\n");
    return 2;
  }
  const std::string mode = argv[1];
  try {
    if (mode == "colours" || mode == "zero") {
      const Snap s = load(argv[2]);
      int checked = 0, bad = 0;
      const auto zero = mode == "zero" ? rgb(s.side.at("legend").at("zero_rgb")) : std::array<int, 3>{};
      for (const auto& p : s.side.at("parcels")) {
        if (!trusted(p)) continue;
        const auto want = mode == "zero" ? zero : rgb(p.at("rgb"));
        const auto got = pixel(*s.img, p.at("x"), p.at("y"));
        ++checked;
        if (got != want) {
          if (++bad <= 5)
            std::printf("parcel %lld at (%d, %d): pixel %d,%d,%d, expected %d,%d,%d\n", p.at("parcel_id").get<long long>(), p.at("x").get<int>(),
                        p.at("y").get<int>(), got[0], got[1], got[2], want[0], want[1], want[2]);
        }
      }
      std::printf("%s: %d parcels checked, %d wrong\n", mode.c_str(), checked, bad);
      return bad == 0 && checked >= 20 ? 0 : 1;
    }
    if (mode == "points") {
      const Snap s = load(argv[2]);
      int checked = 0, bad = 0;
      std::map<std::string, int> states;
      for (const auto& p : s.side.at("home_points").at("samples")) {
        if (p.value("may_be_hidden", true) || p.value("clear_px", 0.0) < 10) continue;
        const auto want = rgb(p.at("rgb"));
        const auto got = pixel(*s.img, p.at("x"), p.at("y"));
        ++checked;
        ++states[p.at("state").get<std::string>()];
        if (got != want && ++bad <= 5)
          std::printf("home point %lld at (%d, %d): pixel %d,%d,%d, expected %d,%d,%d\n", p.at("point_id").get<long long>(), p.at("x").get<int>(),
                      p.at("y").get<int>(), got[0], got[1], got[2], want[0], want[1], want[2]);
      }
      std::printf("points: %d home points checked (%d within reach, %d not), %d wrong\n", checked, states["within"], states["not_within"], bad);
      return bad == 0 && checked >= 20 && states["within"] > 0 && states["not_within"] > 0 ? 0 : 1;
    }
    if (mode == "recolour" && argc >= 4) {
      const Snap a = load(argv[2]), b = load(argv[3]);
      if (a.side.at("camera") != b.side.at("camera")) throw std::runtime_error("the two snapshots must share the camera");
      std::map<long long, nlohmann::json> in_b;
      for (const auto& p : b.side.at("parcels")) in_b[p.at("parcel_id").get<long long>()] = p;
      int changed = 0, same = 0, bad = 0;
      for (const auto& p : a.side.at("parcels")) {
        const auto it = in_b.find(p.at("parcel_id").get<long long>());
        if (it == in_b.end() || !trusted(p)) continue;
        const bool entry_changed = p.at("entry") != it->second.at("entry");
        const bool pixel_changed = pixel(*a.img, p.at("x"), p.at("y")) != pixel(*b.img, p.at("x"), p.at("y"));
        (entry_changed ? changed : same)++;
        if (entry_changed != pixel_changed && ++bad <= 5)
          std::printf("parcel %lld: entry %s but pixel %s\n", p.at("parcel_id").get<long long>(), entry_changed ? "changed" : "same",
                      pixel_changed ? "changed" : "same");
      }
      std::printf("recolour: %d parcels changed colour entry, %d kept it, %d wrong\n", changed, same, bad);
      return bad == 0 && changed > 0 && same > 0 ? 0 : 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "snapshot_check: %s\n", e.what());
    return 1;
  }
  return 2;
}
