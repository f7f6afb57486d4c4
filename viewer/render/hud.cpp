#include "render/hud.hpp"

#include <fmt/format.h>
#include <osg/Geode>
#include <osgDB/ReadFile>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.hpp"

namespace ut::render {

osg::ref_ptr<osgText::Font> load_font(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw core::InputError(core::Where{path, "", "--font"}, "the CJK font file must exist (Debian package fonts-wqy-zenhei)", "missing");
  osg::ref_ptr<osgText::Font> f = osgText::readRefFontFile(path);
  if (!f) throw core::InputError(core::Where{path, "", "--font"}, "must be a font OpenSceneGraph's freetype plugin reads", "unreadable");
  return f;
}

namespace {

// A HUD geometry of coloured triangles, filled later through its own arrays.
osg::Geometry* triangles() {
  osg::ref_ptr<osg::Geometry> g = new osg::Geometry;
  g->setVertexArray(new osg::Vec3Array);
  g->setColorArray(new osg::Vec4Array, osg::Array::BIND_PER_VERTEX);
  g->addPrimitiveSet(new osg::DrawArrays(GL_TRIANGLES, 0, 0));
  g->setUseDisplayList(false);
  g->setUseVertexBufferObjects(true);
  g->setDataVariance(osg::Object::DYNAMIC);
  return g.release();
}

// After its arrays were refilled: the draw count and the buffers follow.
void finish(osg::Geometry& g) {
  const auto n = g.getVertexArray()->getNumElements();
  static_cast<osg::DrawArrays*>(g.getPrimitiveSet(0))->setCount(static_cast<GLsizei>(n));
  g.getVertexArray()->dirty();
  g.getColorArray()->dirty();
  g.getPrimitiveSet(0)->dirty();
  g.dirtyBound();
}

constexpr const char* kOsmShort = "© OpenStreetMap contributors · ODbL";

float text_width(const osgText::Text& t) {
  const osg::BoundingBox& b = t.getBoundingBox();
  return b.valid() ? b.xMax() - b.xMin() : 0.0f;
}

}  // namespace

Hud::Hud(osgText::Font* font, int width, int height) : font_(font), width_(width), height_(height) {
  camera_ = new osg::Camera;
  camera_->setReferenceFrame(osg::Transform::ABSOLUTE_RF);
  camera_->setClearMask(GL_DEPTH_BUFFER_BIT);
  camera_->setRenderOrder(osg::Camera::POST_RENDER);
  camera_->setAllowEventFocus(false);
  camera_->getOrCreateStateSet()->setMode(GL_LIGHTING, osg::StateAttribute::OFF);
  camera_->getOrCreateStateSet()->setMode(GL_DEPTH_TEST, osg::StateAttribute::OFF);
  osg::ref_ptr<osg::Geode> g = new osg::Geode;
  legend_ = new osg::Group;
  osg::ref_ptr<osg::Geode> lg = new osg::Geode;
  title_ = text(22, osgText::Text::LEFT_TOP);
  year_ = text(40, osgText::Text::RIGHT_TOP);
  legend_title_ = text(16, osgText::Text::LEFT_BOTTOM);
  legend_lo_ = text(14, osgText::Text::LEFT_TOP);
  legend_hi_ = text(14, osgText::Text::RIGHT_TOP);
  legend_mid_ = text(14, osgText::Text::CENTER_TOP);
  no_data_ = text(14, osgText::Text::LEFT_CENTER);
  caption_ = text(24, osgText::Text::CENTER_BOTTOM);
  info_ = text(14, osgText::Text::LEFT_TOP);
  attribution_ = text(13, osgText::Text::RIGHT_BOTTOM);
  credit_ = kOsmShort;
  attribution_->setText(credit_, osgText::String::ENCODING_UTF8);
  homes_title_ = text(14, osgText::Text::LEFT_CENTER);
  homes_within_ = text(14, osgText::Text::LEFT_CENTER);
  homes_not_ = text(14, osgText::Text::LEFT_CENTER);
  homes_no_data_ = text(14, osgText::Text::LEFT_CENTER);
  homes_within_->setText("可达 within reach", osgText::String::ENCODING_UTF8);
  homes_not_->setText("未达 not within reach", osgText::String::ENCODING_UTF8);
  homes_no_data_->setText("无数据 no data", osgText::String::ENCODING_UTF8);
  homes_swatches_ = triangles();
  homes_legend_ = new osg::Group;
  {
    osg::ref_ptr<osg::Geode> hg = new osg::Geode;
    for (auto* t : {homes_title_.get(), homes_within_.get(), homes_not_.get(), homes_no_data_.get()}) hg->addDrawable(t);
    hg->addDrawable(homes_swatches_);
    hg->getOrCreateStateSet()->setMode(GL_BLEND, osg::StateAttribute::ON);
    homes_legend_->addChild(hg);
    homes_legend_->setNodeMask(0);
  }
  bar_ = triangles();
  slider_ = triangles();
  panels_ = new osg::Geometry;
  panels_->setUseDisplayList(false);
  osg::ref_ptr<osg::Geode> pg = new osg::Geode;  // drawn first: the texts go on top
  pg->addDrawable(panels_);
  pg->getOrCreateStateSet()->setMode(GL_BLEND, osg::StateAttribute::ON);
  pg->getOrCreateStateSet()->setRenderBinDetails(-1, "RenderBin");
  camera_->addChild(pg);
  lg->getOrCreateStateSet()->setMode(GL_BLEND, osg::StateAttribute::ON);
  for (auto* t : {legend_title_.get(), legend_lo_.get(), legend_hi_.get(), legend_mid_.get(), no_data_.get()}) lg->addDrawable(t);
  lg->addDrawable(bar_);
  legend_->addChild(lg);
  for (auto* t : {title_.get(), year_.get(), caption_.get(), info_.get(), attribution_.get()}) g->addDrawable(t);
  g->addDrawable(slider_);
  camera_->addChild(g);
  camera_->addChild(legend_);
  camera_->addChild(homes_legend_);
  layout();
}

osgText::Text* Hud::text(float size, osgText::Text::AlignmentType align) {
  osg::ref_ptr<osgText::Text> t = new osgText::Text;
  t->setFont(font_.get());
  t->setCharacterSize(size);
  t->setAlignment(align);
  t->setColor(osg::Vec4(1, 1, 1, 1));
  // No outline backdrop (it tripled the frame time on llvmpipe): the texts sit on dark panels.
  t->setDataVariance(osg::Object::DYNAMIC);
  return t.release();
}

void Hud::resize(int width, int height) {
  width_ = width;
  height_ = height;
  layout();
}

void Hud::layout() {
  camera_->setProjectionMatrixAsOrtho2D(0, width_, 0, height_);
  camera_->setViewMatrix(osg::Matrix::identity());
  const float w = static_cast<float>(width_), h = static_cast<float>(height_);
  title_->setPosition({16, h - 14, 0});
  year_->setPosition({w - 16, h - 10, 0});
  legend_title_->setPosition({16, 64, 0});
  legend_lo_->setPosition({16, 36, 0});
  legend_hi_->setPosition({276, 36, 0});
  legend_mid_->setPosition({146, 36, 0});
  no_data_->setPosition({316, 48, 0});
  caption_->setPosition({w / 2, 60, 0});
  info_->setPosition({16, h - 90, 0});
  attribution_->setPosition({w - 8, 6, 0});
  // Dark panels behind the top line, the legend and the attribution.
  osg::ref_ptr<osg::Vec3Array> v = new osg::Vec3Array;
  auto box = [&](float x0, float y0, float x1, float y1) {
    for (const auto& p : {osg::Vec3(x0, y0, 0), osg::Vec3(x1, y0, 0), osg::Vec3(x1, y1, 0), osg::Vec3(x0, y0, 0), osg::Vec3(x1, y1, 0), osg::Vec3(x0, y1, 0)}) v->push_back(p);
  };
  box(0, h - 50, w, h);
  box(w - std::max(330.0f, text_width(*attribution_) + 16), 0, w, 24);  // a longer credit: a wider panel
  box(0, 0, 420, 88);  // the legend (and the home points' key): resized by update()
  osg::ref_ptr<osg::Vec4Array> c = new osg::Vec4Array;
  c->push_back(osg::Vec4(0.05f, 0.06f, 0.08f, 0.72f));
  panels_->setVertexArray(v);
  panels_->setColorArray(c, osg::Array::BIND_OVERALL);
  panels_->removePrimitiveSet(0, panels_->getNumPrimitiveSets());
  panels_->addPrimitiveSet(new osg::DrawArrays(GL_TRIANGLES, 0, static_cast<GLsizei>(v->size())));
  place_legend_panel(legend_w_, legend_h_);
}

// The legend's panel (the third box of panels_) grows to hold a long title and the home points'
// key; its vertices are moved in place (no allocation: an exhibition updates it at every stop).
void Hud::place_legend_panel(float w, float h) {
  legend_w_ = w;
  legend_h_ = h;
  auto* v = static_cast<osg::Vec3Array*>(panels_->getVertexArray());
  if (v == nullptr || v->size() < 18) return;
  const osg::Vec3 p[6] = {{0, 0, 0}, {w, 0, 0}, {w, h, 0}, {0, 0, 0}, {w, h, 0}, {0, h, 0}};
  const bool on = legend_on_;
  for (int k = 0; k < 6; ++k) (*v)[12 + static_cast<unsigned>(k)] = on ? p[k] : osg::Vec3(0, 0, 0);
  v->dirty();
  panels_->dirtyBound();
}

void Hud::update(const CityScene& scene) {
  std::vector<std::string> runs{scene.run().attribution};
  if (scene.other()) runs.push_back(scene.other()->attribution);
  if (std::string c = run_data::credit_line(runs, kOsmShort); c != credit_) {
    credit_ = std::move(c);
    attribution_->setText(credit_, osgText::String::ENCODING_UTF8);
    layout();
  }
  const Label l = label_of(scene.indicator());
  const std::string what = scene.comparing() ? "差值 difference A - B: " : "";
  title_->setText(fmt::format("{}{} {}", what, l.zh, l.en), osgText::String::ENCODING_UTF8);
  // A title too long for the space left of the year slider is set smaller (down to 14 pixels).
  title_->setCharacterSize(22);
  if (const float room = static_cast<float>(width_) * 0.62f - 46, tw = text_width(*title_); tw > room && tw > 0)
    title_->setCharacterSize(std::max(14.0f, 22 * room / tw));
  year_->setText(std::to_string(scene.year()));
  legend_title_->setText(fmt::format("{} {}{}", l.zh, l.en, l.unit.empty() ? "" : " (" + l.unit + ")"), osgText::String::ENCODING_UTF8);
  const Range r = scene.range();
  legend_lo_->setText(format_value(l, r.lo), osgText::String::ENCODING_UTF8);
  legend_hi_->setText(format_value(l, r.hi), osgText::String::ENCODING_UTF8);
  legend_mid_->setText(format_value(l, (r.lo + r.hi) / 2), osgText::String::ENCODING_UTF8);
  no_data_->setText("无数据 no data", osgText::String::ENCODING_UTF8);
  // Colour bar: 255 thin quads, one per ramp entry, and the no-data swatch.
  const auto& table = colormap(scene.map_kind());
  // The HUD's arrays are reused (cleared, refilled, marked dirty): an exhibition redraws them at
  // every stop for hours and must not allocate.
  osg::Vec3Array* v = static_cast<osg::Vec3Array*>(bar_->getVertexArray());
  osg::Vec4Array* c = static_cast<osg::Vec4Array*>(bar_->getColorArray());
  v->clear();
  c->clear();
  auto quad = [&](float x0, float y0, float x1, float y1, const Rgb& col) {
    const osg::Vec4 cc(col.r / 255.0f, col.g / 255.0f, col.b / 255.0f, 1);
    for (const auto& p : {osg::Vec3(x0, y0, 0), osg::Vec3(x1, y0, 0), osg::Vec3(x1, y1, 0), osg::Vec3(x0, y0, 0), osg::Vec3(x1, y1, 0), osg::Vec3(x0, y1, 0)}) {
      v->push_back(p);
      c->push_back(cc);
    }
  };
  for (int e = 0; e <= kRampMax; ++e) {
    const float x = 16 + static_cast<float>(e) * (260.0f / 255);
    quad(x, 40, x + 260.0f / 255, 58, table[static_cast<std::size_t>(e)]);
  }
  quad(290, 40, 306, 56, table[kNoDataIndex]);
  finish(*bar_);
  // The home points' key, a row above the legend: which class or tier the dots show, and colours.
  float panel_w = std::max(420.0f, 16 + text_width(*legend_title_) + 16), panel_h = 88;
  const bool homes = homes_on_ = scene.homes_shown();
  homes_legend_->setNodeMask(homes && legend_on_ ? ~0u : 0u);
  if (homes) {
    const auto key = scene.homes_key();
    const auto name = key == std::string::npos ? std::pair<std::string, std::string>{"", ""} : reach_name(scene.run().homes.keys[key]);
    homes_title_->setText(fmt::format("居民点 home points {}: {} {}", scene.run().homes.year, name.first, name.second), osgText::String::ENCODING_UTF8);
    const float y = 104;
    homes_title_->setPosition({16, y, 0});
    osg::Vec3Array* hv = static_cast<osg::Vec3Array*>(homes_swatches_->getVertexArray());
    osg::Vec4Array* hc = static_cast<osg::Vec4Array*>(homes_swatches_->getColorArray());
    hv->clear();
    hc->clear();
    auto square = [&](float x, float half, const osg::Vec4& col) {
      for (const auto& p : {osg::Vec3(x - half, y - half, 0), osg::Vec3(x + half, y - half, 0), osg::Vec3(x + half, y + half, 0), osg::Vec3(x - half, y - half, 0),
                            osg::Vec3(x + half, y + half, 0), osg::Vec3(x - half, y + half, 0)}) {
        hv->push_back(p);
        hc->push_back(col);
      }
    };
    float x = 16 + text_width(*homes_title_) + 14;
    for (const auto& [t, col] : {std::pair{homes_within_.get(), kWithinRgb}, std::pair{homes_not_.get(), kNotWithinRgb}, std::pair{homes_no_data_.get(), kNoDataRgb}}) {
      square(x + 5, 5, osg::Vec4(0.08f, 0.08f, 0.1f, 1));
      square(x + 5, 3.5f, osg::Vec4(col.r / 255.0f, col.g / 255.0f, col.b / 255.0f, 1));
      t->setPosition({x + 16, y, 0});
      x += 16 + text_width(*t) + 14;
    }
    finish(*homes_swatches_);
    panel_w = std::max(panel_w, x);
    panel_h = 120;
  }
  place_legend_panel(panel_w, panel_h);
  // Year slider: a track with a tick per year and a knob on the current one.
  const auto& years = scene.run().years;
  osg::Vec3Array* sv = static_cast<osg::Vec3Array*>(slider_->getVertexArray());
  osg::Vec4Array* sc = static_cast<osg::Vec4Array*>(slider_->getColorArray());
  sv->clear();
  sc->clear();
  // The track starts after the title (long bilingual titles), at least at 35 % of the width.
  slider_x0_ = std::clamp(16 + text_width(*title_) + 30, static_cast<float>(width_) * 0.35f, static_cast<float>(width_) * 0.62f);
  const float x0 = slider_x0_, x1 = static_cast<float>(width_) * 0.80f, y = static_cast<float>(height_) - 28;
  auto box = [&](float a, float b, float c0, float d, osg::Vec4 col) {
    for (const auto& p : {osg::Vec3(a, b, 0), osg::Vec3(c0, b, 0), osg::Vec3(c0, d, 0), osg::Vec3(a, b, 0), osg::Vec3(c0, d, 0), osg::Vec3(a, d, 0)}) {
      sv->push_back(p);
      sc->push_back(col);
    }
  };
  box(x0, y - 2, x1, y + 2, {1, 1, 1, 0.8f});
  for (std::size_t i = 0; i < years.size(); ++i) {
    const float x = years.size() > 1 ? x0 + (x1 - x0) * static_cast<float>(i) / static_cast<float>(years.size() - 1) : (x0 + x1) / 2;
    const bool now = years[i] == scene.year();
    box(x - (now ? 7.0f : 1.5f), y - (now ? 9.0f : 6.0f), x + (now ? 7.0f : 1.5f), y + (now ? 9.0f : 6.0f), now ? osg::Vec4(1, 0.8f, 0.1f, 1) : osg::Vec4(1, 1, 1, 0.9f));
  }
  finish(*slider_);
}

bool Hud::slider_year(const CityScene& scene, double x, double y, int& year) const {
  const auto& years = scene.run().years;
  const double x0 = slider_x0_ > 0 ? slider_x0_ : width_ * 0.35, x1 = width_ * 0.80, yy = height_ - 28;
  if (years.empty() || y < yy - 14 || y > yy + 14 || x < x0 - 10 || x > x1 + 10) return false;
  const double t = years.size() > 1 ? std::clamp((x - x0) / (x1 - x0), 0.0, 1.0) * static_cast<double>(years.size() - 1) : 0;
  year = years[static_cast<std::size_t>(std::lround(t))];
  return true;
}

void Hud::set_caption(const std::string& zh, const std::string& en) {
  caption_->setText(zh.empty() && en.empty() ? std::string() : zh + "\n" + en, osgText::String::ENCODING_UTF8);
}

void Hud::set_info(const std::string& t) { info_->setText(t, osgText::String::ENCODING_UTF8); }

void Hud::set_legend_visible(bool on) {
  legend_on_ = on;
  legend_->setNodeMask(on ? ~0u : 0u);
  homes_legend_->setNodeMask(on && homes_on_ ? ~0u : 0u);
  place_legend_panel(legend_w_, legend_h_);
}

}  // namespace ut::render
