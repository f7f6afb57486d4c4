#pragma once
// Camera bookmarks and the render window: an on-screen window (desk or fullscreen exhibition) or
// an off-screen pbuffer (snapshots, tests, benchmarks; works under Xvfb with Mesa).
#include <osg/Camera>
#include <osg/Image>
#include <osgViewer/Viewer>

#include <string>
#include <vector>

namespace ut::render {

struct CameraPose {
  std::string name;
  osg::Vec3d eye, center, up;
  bool ortho = false;     // straight down, orthographic (no parcel hides another)
  double ortho_half = 0;  // half height of the view, metres
};

// Built-in bookmarks, scaled to the city: overview, top, south, east, close.
const std::vector<std::string>& bookmark_names();
// Throws InputError naming the choices for an unknown name.
CameraPose bookmark(const std::string& name, double half_extent);
// The bookmark moved to look at a local point, zoomed so that about half_m metres show above and
// below it (the top camera: exactly half_m; the others keep their direction, at a distance scaled
// alike).
CameraPose focus(const CameraPose& pose, const osg::Vec3d& target, double half_m, double half_extent);
// Sets view and projection (fixed near/far, so pixel positions can be computed from them).
void apply(osg::Camera& cam, const CameraPose& pose, int width, int height, double half_extent);
// The window pixel (x right, y down from the top) of a local point for the camera, or false.
bool project(const osg::Camera& cam, const osg::Vec3d& p, int width, int height, double& x, double& y);

class Window {
 public:
  // offscreen: a pbuffer of width x height; else a window (fullscreen when asked).
  Window(int width, int height, bool offscreen, bool fullscreen);
  ~Window();
  osgViewer::Viewer& viewer() { return *viewer_; }
  int width() const { return width_; }
  int height() const { return height_; }
  // Renders one frame and returns its pixels (RGBA, rows bottom-up as OpenGL reads them).
  osg::ref_ptr<osg::Image> capture();
  // The same at a given frame time (the exhibition's fixed clock).
  osg::ref_ptr<osg::Image> capture(double time);

 private:
  osg::ref_ptr<osgViewer::Viewer> viewer_;
  int width_, height_;
  struct Grab;
  osg::ref_ptr<Grab> grab_;
};

}  // namespace ut::render
