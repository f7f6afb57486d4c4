#include "render/view.hpp"

#include <fmt/format.h>
#include <osg/GraphicsContext>
#include <osgViewer/ViewerEventHandlers>

#include <cmath>

#include "core/error.hpp"

namespace ut::render {

const std::vector<std::string>& bookmark_names() {
  static const std::vector<std::string> names = {"overview", "top", "south", "east", "close"};
  return names;
}

CameraPose bookmark(const std::string& name, double e) {
  const osg::Vec3d up(0, 0, 1), c(0, 0, 0);
  if (name == "overview") return {name, {0.9 * e, -1.6 * e, 1.3 * e}, c, up};
  if (name == "top") return {name, {0, 0, 4 * e}, c, {0, 1, 0}, true, 1.05 * e};
  if (name == "south") return {name, {0, -2.0 * e, 0.9 * e}, c, up};
  if (name == "east") return {name, {2.0 * e, 0, 0.9 * e}, c, up};
  if (name == "close") return {name, {0.25 * e, -0.45 * e, 0.3 * e}, {0, 0.05 * e, 0}, up};
  throw core::InputError(core::Where{"", "", "--camera"}, fmt::format("must be one of: {}", fmt::join(bookmark_names(), ", ")), "\"" + name + "\"");
}

CameraPose focus(const CameraPose& pose, const osg::Vec3d& target, double half_m, double e) {
  CameraPose p = pose;
  p.center = target;
  if (pose.ortho) {
    p.eye = target + (pose.eye - pose.center);
    p.ortho_half = half_m;
  } else {
    p.eye = target + (pose.eye - pose.center) * (half_m / (1.05 * e));
  }
  return p;
}

void apply(osg::Camera& cam, const CameraPose& p, int width, int height, double e) {
  const double aspect = static_cast<double>(width) / std::max(1, height);
  cam.setComputeNearFarMode(osg::CullSettings::DO_NOT_COMPUTE_NEAR_FAR);
  cam.setViewMatrixAsLookAt(p.eye, p.center, p.up);
  const double dist = (p.eye - p.center).length();
  if (p.ortho) cam.setProjectionMatrixAsOrtho(-p.ortho_half * aspect, p.ortho_half * aspect, -p.ortho_half, p.ortho_half, 1.0, dist + 2 * e);
  else cam.setProjectionMatrixAsPerspective(35.0, aspect, std::max(1.0, dist / 200), dist + 4 * e);
}

bool project(const osg::Camera& cam, const osg::Vec3d& p, int width, int height, double& x, double& y) {
  const osg::Matrixd m = cam.getViewMatrix() * cam.getProjectionMatrix();
  const osg::Vec4d h = osg::Vec4d(p, 1.0) * m;
  if (h.w() <= 0) return false;
  const double nx = h.x() / h.w(), ny = h.y() / h.w();
  x = (nx + 1) / 2 * width;
  y = (1 - (ny + 1) / 2) * height;
  return x >= 0 && y >= 0 && x < width && y < height;
}

struct Window::Grab : public osg::Camera::DrawCallback {
  mutable osg::ref_ptr<osg::Image> image;
  mutable bool armed = false;
  void operator()(osg::RenderInfo& ri) const override {
    if (!armed) return;
    const osg::Viewport* vp = ri.getCurrentCamera()->getViewport();
    image = new osg::Image;
    image->readPixels(static_cast<int>(vp->x()), static_cast<int>(vp->y()), static_cast<int>(vp->width()), static_cast<int>(vp->height()), GL_RGBA,
                      GL_UNSIGNED_BYTE);
    armed = false;
  }
};

Window::Window(int width, int height, bool offscreen, bool fullscreen) : width_(width), height_(height) {
  viewer_ = new osgViewer::Viewer;
  viewer_->setThreadingModel(osgViewer::Viewer::SingleThreaded);
  osg::ref_ptr<osg::GraphicsContext::Traits> t = new osg::GraphicsContext::Traits;
  t->readDISPLAY();
  t->setUndefinedScreenDetailsToDefaultScreen();
  osg::GraphicsContext::WindowingSystemInterface* wsi = osg::GraphicsContext::getWindowingSystemInterface();
  if (fullscreen && wsi) {
    unsigned int w = 0, h = 0;
    wsi->getScreenResolution(osg::GraphicsContext::ScreenIdentifier(0), w, h);
    if (w > 0 && h > 0) width_ = static_cast<int>(w), height_ = static_cast<int>(h);
  }
  t->x = 0;
  t->y = 0;
  t->width = width_;
  t->height = height_;
  t->red = t->green = t->blue = 8;
  t->alpha = 0;
  t->depth = 24;
  t->samples = 0;  // no multisampling: a parcel's pixels are exactly its colour
  t->doubleBuffer = !offscreen;
  t->pbuffer = offscreen;
  t->windowDecoration = !fullscreen && !offscreen;
  t->windowName = "UrbanTwin";
  osg::ref_ptr<osg::GraphicsContext> gc = osg::GraphicsContext::createGraphicsContext(t.get());
  if (!gc || !gc->valid())
    throw core::InputError(core::Where{"", "", "display"},
                           offscreen ? "an off-screen OpenGL context needs an X display (run under xvfb-run)" : "a window needs an X display", "");
  osg::Camera* cam = viewer_->getCamera();
  cam->setGraphicsContext(gc.get());
  cam->setViewport(new osg::Viewport(0, 0, width_, height_));
  cam->setClearColor(osg::Vec4(0.11f, 0.12f, 0.16f, 1));
  cam->setDrawBuffer(offscreen ? GL_FRONT : GL_BACK);
  cam->setReadBuffer(offscreen ? GL_FRONT : GL_BACK);
  cam->setSmallFeatureCullingPixelSize(0);
  grab_ = new Grab;
  cam->setFinalDrawCallback(grab_.get());
}

Window::~Window() = default;

osg::ref_ptr<osg::Image> Window::capture() {
  grab_->armed = true;
  viewer_->frame();
  return grab_->image;
}

osg::ref_ptr<osg::Image> Window::capture(double time) {
  grab_->armed = true;
  viewer_->frame(time);
  return grab_->image;
}

}  // namespace ut::render
