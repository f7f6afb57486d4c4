#include "render/scene.hpp"

#include <fmt/format.h>
#include <osg/BlendFunc>
#include <osg/Depth>
#include <osg/Geode>
#include <osg/Point>
#include <osg/PolygonOffset>
#include <osg/Program>
#include <osg/Shader>
#include <osgUtil/Tessellator>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "core/error.hpp"

namespace ut::render {

namespace {

constexpr int kTexWidth = 2048;

const char* kVertex = R"(#version 120
varying vec2 feature;
varying float shade;
void main() {
  feature = gl_MultiTexCoord0.xy;
  shade = gl_Color.r;
  gl_Position = ftransform();
}
)";

// The colour of a parcel: its colour-map entry (value texture) looked up in the colour map, times
// the face's shade (1 on roofs, so roofs show the map's colour exactly).
const char* kFragment = R"(#version 120
uniform sampler2D values;
uniform sampler2D cmap;
varying vec2 feature;
varying float shade;
void main() {
  float k = floor(texture2D(values, feature).r * 255.0 + 0.5);
  vec3 c = texture2D(cmap, vec2((k + 0.5) / 256.0, 0.5)).rgb;
  gl_FragColor = vec4(c * shade, 1.0);
}
)";

osg::Vec4 rgba(const Rgb& c, float a = 1) { return {c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, a}; }

void unlit(osg::Node* n) { n->getOrCreateStateSet()->setMode(GL_LIGHTING, osg::StateAttribute::OFF | osg::StateAttribute::PROTECTED); }

// Streets run along the parcels' edges (blocks reach the centre line), so road and greenway
// ribbons are drawn over the blocks: after them, without depth test.
void overlay(osg::Node* n, int order) {
  osg::StateSet* ss = n->getOrCreateStateSet();
  ss->setMode(GL_DEPTH_TEST, osg::StateAttribute::OFF);
  ss->setRenderBinDetails(10 + order, "RenderBin");
}

bool convex_ring(const geo::LineString& r) {
  const std::size_t n = r.size() - 1;  // closed
  int sign = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& a = r[i];
    const auto& b = r[(i + 1) % n];
    const auto& c = r[(i + 2) % n];
    const double cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
    if (std::abs(cross) < 1e-9) continue;
    const int s = cross > 0 ? 1 : -1;
    if (sign == 0) sign = s;
    else if (s != sign) return false;
  }
  return true;
}

// Appends a ribbon (quads as triangles) of the given width along a line at height z.
void ribbon(const geo::LineString& line, double width, float z, osg::Vec3Array& v) {
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    const double dx = line[i + 1].x - line[i].x, dy = line[i + 1].y - line[i].y;
    const double len = std::hypot(dx, dy);
    if (len < 1e-6) continue;
    const double nx = -dy / len * width / 2, ny = dx / len * width / 2;
    const osg::Vec3 a(static_cast<float>(line[i].x + nx), static_cast<float>(line[i].y + ny), z);
    const osg::Vec3 b(static_cast<float>(line[i].x - nx), static_cast<float>(line[i].y - ny), z);
    const osg::Vec3 c(static_cast<float>(line[i + 1].x - nx), static_cast<float>(line[i + 1].y - ny), z);
    const osg::Vec3 d(static_cast<float>(line[i + 1].x + nx), static_cast<float>(line[i + 1].y + ny), z);
    for (const auto& p : {a, b, c, a, c, d}) v.push_back(p);
  }
}

Rgb facility_colour(const std::string& cls) {
  static const std::map<std::string, Rgb> c = {{"kindergarten", {255, 127, 0}},  {"primary_school", {228, 26, 28}},
                                               {"middle_school", {166, 86, 40}}, {"health", {247, 129, 191}},
                                               {"elderly_care", {152, 78, 163}}, {"metro", {55, 126, 184}},
                                               {"fire_station", {200, 0, 0}},    {"park", {77, 175, 74}},
                                               {"green_space", {127, 201, 127}}, {"green", {127, 201, 127}}};
  auto it = c.find(cls);
  return it == c.end() ? Rgb{90, 90, 90} : it->second;
}

}  // namespace

Rgb home_colour(std::uint8_t state) {
  return state == run_data::HomePoints::within ? kWithinRgb : state == run_data::HomePoints::not_within ? kNotWithinRgb : kNoDataRgb;
}

CityScene::CityScene(const run_data::RunData& run, const run_data::RunData* other) : run_(run), other_(other) {
  if (other_ && other_->parcel_id != run_.parcel_id)
    throw core::InputError(core::Where{(other_->dir / "outputs.gpkg").string(), "layer parcels", "parcel_id"},
                           "--compare needs a run of the same parcels", fmt::format("{} parcels against {}", other_->parcel_id.size(), run_.parcel_id.size()));
  root_ = new osg::Group;
  parcels_sw_ = new osg::Switch;
  links_sw_ = new osg::Switch;
  greenways_sw_ = new osg::Switch;
  facilities_sw_ = new osg::Switch;
  homes_sw_ = new osg::Switch;
  build_ground();
  build_parcels();
  build_links();
  build_greenways();
  build_facilities();
  build_homes();
  marks_sw_ = new osg::Switch;
  for (auto* s : {parcels_sw_.get(), links_sw_.get(), greenways_sw_.get(), facilities_sw_.get(), homes_sw_.get(), marks_sw_.get()}) root_->addChild(s);
}

void CityScene::build_ground() {
  const float e = static_cast<float>(run_.half_extent * 1.4);
  osg::ref_ptr<osg::Geometry> g = new osg::Geometry;
  osg::ref_ptr<osg::Vec3Array> v = new osg::Vec3Array;
  for (const auto& p : {osg::Vec3(-e, -e, -0.5f), osg::Vec3(e, -e, -0.5f), osg::Vec3(e, e, -0.5f), osg::Vec3(-e, e, -0.5f)}) v->push_back(p);
  g->setVertexArray(v);
  osg::ref_ptr<osg::Vec4Array> c = new osg::Vec4Array;
  c->push_back(rgba({226, 222, 212}));
  g->setColorArray(c, osg::Array::BIND_OVERALL);
  g->addPrimitiveSet(new osg::DrawArrays(GL_QUADS, 0, 4));
  osg::ref_ptr<osg::Geode> geode = new osg::Geode;
  geode->addDrawable(g);
  unlit(geode);
  root_->addChild(geode);
}

void CityScene::build_parcels() {
  const std::size_t n = run_.parcel_id.size();
  const int rows = static_cast<int>((n + kTexWidth - 1) / kTexWidth);
  value_image_ = new osg::Image;
  value_image_->allocateImage(kTexWidth, std::max(1, rows), 1, GL_LUMINANCE, GL_UNSIGNED_BYTE);
  std::fill(value_image_->data(), value_image_->data() + value_image_->getTotalSizeInBytes(), static_cast<unsigned char>(kNoDataIndex));
  value_tex_ = new osg::Texture2D(value_image_);
  value_tex_->setFilter(osg::Texture::MIN_FILTER, osg::Texture::NEAREST);
  value_tex_->setFilter(osg::Texture::MAG_FILTER, osg::Texture::NEAREST);
  value_tex_->setResizeNonPowerOfTwoHint(false);
  value_tex_->setDataVariance(osg::Object::DYNAMIC);

  parcels_ = new osg::Geometry;
  osg::ref_ptr<osg::Vec3Array> v = new osg::Vec3Array;
  osg::ref_ptr<osg::Vec2Array> t = new osg::Vec2Array;
  osg::ref_ptr<osg::Vec4Array> shade = new osg::Vec4Array;
  auto texel = [&](std::size_t i) {
    return osg::Vec2((static_cast<float>(i % kTexWidth) + 0.5f) / kTexWidth, (static_cast<float>(i / kTexWidth) + 0.5f) / static_cast<float>(std::max(1, rows)));
  };
  auto vertex = [&](const geo::Point& p, float z, const osg::Vec2& tc, float s) {
    v->push_back(osg::Vec3(static_cast<float>(p.x), static_cast<float>(p.y), z));
    t->push_back(tc);
    shade->push_back(osg::Vec4(s, s, s, 1));
  };
  for (std::size_t i = 0; i < n; ++i) {
    const float h = run_.parcel_height[i];
    const osg::Vec2 tc = texel(i);
    for (const auto& poly : run_.parcel_shape[i]) {
      if (poly.rings.empty() || poly.rings[0].size() < 4) continue;
      const std::size_t before = v->size();
      // Roof: a fan where the polygon is convex and has no holes, else GLU tessellation.
      if (poly.rings.size() == 1 && convex_ring(poly.rings[0])) {
        const auto& r = poly.rings[0];
        for (std::size_t k = 1; k + 2 < r.size(); ++k)
          for (const auto& p : {r[0], r[k], r[k + 1]}) vertex(p, h, tc, 1.0f);
      } else {
        osg::ref_ptr<osg::Geometry> roof = new osg::Geometry;
        osg::ref_ptr<osg::Vec3Array> rv = new osg::Vec3Array;
        for (const auto& ring : poly.rings) {
          const auto first = rv->size();
          for (std::size_t k = 0; k + 1 < ring.size(); ++k) rv->push_back(osg::Vec3(static_cast<float>(ring[k].x), static_cast<float>(ring[k].y), h));
          roof->addPrimitiveSet(new osg::DrawArrays(GL_POLYGON, static_cast<GLint>(first), static_cast<GLsizei>(rv->size() - first)));
        }
        roof->setVertexArray(rv);
        osg::ref_ptr<osgUtil::Tessellator> tess = new osgUtil::Tessellator;
        tess->setTessellationType(osgUtil::Tessellator::TESS_TYPE_GEOMETRY);
        tess->setWindingType(osgUtil::Tessellator::TESS_WINDING_ODD);
        tess->setBoundaryOnly(false);
        tess->retessellatePolygons(*roof);
        const auto* out = static_cast<const osg::Vec3Array*>(roof->getVertexArray());
        for (unsigned ps = 0; ps < roof->getNumPrimitiveSets(); ++ps) {
          const osg::PrimitiveSet* prim = roof->getPrimitiveSet(ps);
          const unsigned m = prim->getNumIndices();
          auto at = [&](unsigned k) { const auto& q = (*out)[prim->index(k)]; return geo::Point{q.x(), q.y()}; };
          if (prim->getMode() == GL_TRIANGLES)
            for (unsigned k = 0; k + 2 < m; k += 3)
              for (unsigned j = 0; j < 3; ++j) vertex(at(k + j), h, tc, 1.0f);
          else if (prim->getMode() == GL_TRIANGLE_STRIP)
            for (unsigned k = 0; k + 2 < m; ++k)
              for (unsigned j : (k % 2 ? std::array<unsigned, 3>{1, 0, 2} : std::array<unsigned, 3>{0, 1, 2})) vertex(at(k + j), h, tc, 1.0f);
          else if (prim->getMode() == GL_TRIANGLE_FAN || prim->getMode() == GL_POLYGON)
            for (unsigned k = 1; k + 1 < m; ++k)
              for (unsigned j : {0u, k, k + 1}) vertex(at(j), h, tc, 1.0f);
        }
      }
      // Walls: one quad per ring edge, darker.
      for (const auto& ring : poly.rings)
        for (std::size_t k = 0; k + 1 < ring.size(); ++k) {
          const auto& a = ring[k];
          const auto& b = ring[k + 1];
          for (const auto& [p, z] : {std::pair{a, 0.0f}, std::pair{b, 0.0f}, std::pair{b, h}, std::pair{a, 0.0f}, std::pair{b, h}, std::pair{a, h}})
            vertex(p, z, tc, 0.72f);
        }
      for (std::size_t k = before; k + 2 < v->size(); k += 3) tri_parcel_.push_back(static_cast<std::uint32_t>(i));
    }
  }
  triangles_ += v->size() / 3;
  parcels_->setVertexArray(v);
  parcels_->setTexCoordArray(0, t, osg::Array::BIND_PER_VERTEX);
  parcels_->setColorArray(shade, osg::Array::BIND_PER_VERTEX);
  parcels_->addPrimitiveSet(new osg::DrawArrays(GL_TRIANGLES, 0, static_cast<GLsizei>(v->size())));
  parcels_->setUseDisplayList(false);
  parcels_->setUseVertexBufferObjects(true);

  cmap_tex_ = new osg::Texture2D;
  cmap_tex_->setFilter(osg::Texture::MIN_FILTER, osg::Texture::NEAREST);
  cmap_tex_->setFilter(osg::Texture::MAG_FILTER, osg::Texture::NEAREST);
  cmap_tex_->setDataVariance(osg::Object::DYNAMIC);
  osg::ref_ptr<osg::Image> cm = new osg::Image;
  cm->allocateImage(256, 1, 1, GL_RGB, GL_UNSIGNED_BYTE);
  cmap_tex_->setImage(cm);

  osg::ref_ptr<osg::Geode> geode = new osg::Geode;
  geode->addDrawable(parcels_);
  osg::StateSet* ss = geode->getOrCreateStateSet();
  osg::ref_ptr<osg::Program> prog = new osg::Program;
  prog->addShader(new osg::Shader(osg::Shader::VERTEX, kVertex));
  prog->addShader(new osg::Shader(osg::Shader::FRAGMENT, kFragment));
  ss->setAttributeAndModes(prog);
  ss->setTextureAttributeAndModes(0, value_tex_);
  ss->setTextureAttributeAndModes(1, cmap_tex_);
  ss->addUniform(new osg::Uniform("values", 0));
  ss->addUniform(new osg::Uniform("cmap", 1));
  unlit(geode);
  parcels_sw_->addChild(geode);
  shown_.assign(n, run_data::kNoData);
  entries_.assign(n, kNoDataIndex);
}

void CityScene::build_links() {
  if (run_.link_line.empty()) return;
  links_ = new osg::Geometry;
  osg::ref_ptr<osg::Vec3Array> v = new osg::Vec3Array;
  for (std::size_t a = 0; a < run_.link_line.size(); ++a) {
    const std::size_t first = v->size();
    // Directed links of a two-way street share the centre line: each takes its right-hand half.
    geo::LineString shifted = run_.link_line[a];
    const double w = run_.link_width_m[a];
    if (shifted.size() >= 2) {
      const double dx = shifted.back().x - shifted.front().x, dy = shifted.back().y - shifted.front().y;
      const double len = std::max(1e-6, std::hypot(dx, dy));
      for (auto& p : shifted) p = {p.x + dy / len * w / 2, p.y - dx / len * w / 2};
    }
    ribbon(shifted, w, 0.3f, *v);
    link_vertices_.emplace_back(first, v->size() - first);
  }
  triangles_ += v->size() / 3;
  osg::ref_ptr<osg::Vec4Array> c = new osg::Vec4Array(static_cast<unsigned>(v->size()));
  links_->setVertexArray(v);
  links_->setColorArray(c, osg::Array::BIND_PER_VERTEX);
  links_->addPrimitiveSet(new osg::DrawArrays(GL_TRIANGLES, 0, static_cast<GLsizei>(v->size())));
  links_->setUseDisplayList(false);
  links_->setUseVertexBufferObjects(true);
  links_->setDataVariance(osg::Object::DYNAMIC);
  osg::ref_ptr<osg::Geode> geode = new osg::Geode;
  geode->addDrawable(links_);
  unlit(geode);
  overlay(geode, 0);
  links_sw_->addChild(geode);
}

void CityScene::build_greenways() {
  std::map<int, osg::ref_ptr<osg::Vec3Array>> by_year;
  for (std::size_t g = 0; g < run_.greenway_line.size(); ++g) {
    auto& v = by_year[run_.greenway_from[g]];
    if (!v) v = new osg::Vec3Array;
    ribbon(run_.greenway_line[g], 8.0, 0.6f, *v);
  }
  for (const auto& [from, v] : by_year) {
    osg::ref_ptr<osg::Geometry> g = new osg::Geometry;
    g->setVertexArray(v);
    osg::ref_ptr<osg::Vec4Array> c = new osg::Vec4Array;
    c->push_back(rgba({35, 139, 69}));
    g->setColorArray(c, osg::Array::BIND_OVERALL);
    g->addPrimitiveSet(new osg::DrawArrays(GL_TRIANGLES, 0, static_cast<GLsizei>(v->size())));
    osg::ref_ptr<osg::Geode> geode = new osg::Geode;
    geode->addDrawable(g);
    unlit(geode);
    overlay(geode, 1);
    greenways_sw_->addChild(geode);
    greenway_child_from_.push_back(from);
    triangles_ += v->size() / 3;
  }
}

void CityScene::build_facilities() {
  // Symbols: a square column per site (30 m wide, 40 m tall), coloured by its first class.
  std::map<std::pair<int, int>, std::pair<osg::ref_ptr<osg::Vec3Array>, osg::ref_ptr<osg::Vec4Array>>> groups;
  for (const auto& f : run_.facilities) {
    auto& [v, c] = groups[{f.from_year, f.until_year}];
    if (!v) {
      v = new osg::Vec3Array;
      c = new osg::Vec4Array;
    }
    const float x = static_cast<float>(f.at.x), y = static_cast<float>(f.at.y), s = 15, h = 40;
    const osg::Vec3 p[8] = {{x - s, y - s, 0}, {x + s, y - s, 0}, {x + s, y + s, 0}, {x - s, y + s, 0},
                            {x - s, y - s, h}, {x + s, y - s, h}, {x + s, y + s, h}, {x - s, y + s, h}};
    const int faces[5][4] = {{4, 5, 6, 7}, {0, 1, 5, 4}, {1, 2, 6, 5}, {2, 3, 7, 6}, {3, 0, 4, 7}};
    const Rgb col = facility_colour(f.cls);
    for (int fi = 0; fi < 5; ++fi) {
      const float shade = fi == 0 ? 1.0f : 0.75f;
      const osg::Vec4 cc(col.r / 255.0f * shade, col.g / 255.0f * shade, col.b / 255.0f * shade, 1);
      for (int k : {0, 1, 2, 0, 2, 3}) {
        v->push_back(p[faces[fi][k]]);
        c->push_back(cc);
      }
    }
  }
  for (const auto& [years, arrays] : groups) {
    osg::ref_ptr<osg::Geometry> g = new osg::Geometry;
    g->setVertexArray(arrays.first);
    g->setColorArray(arrays.second, osg::Array::BIND_PER_VERTEX);
    g->addPrimitiveSet(new osg::DrawArrays(GL_TRIANGLES, 0, static_cast<GLsizei>(arrays.first->size())));
    osg::ref_ptr<osg::Geode> geode = new osg::Geode;
    geode->addDrawable(g);
    unlit(geode);
    facilities_sw_->addChild(geode);
    facility_child_from_.push_back(years.first);
    facility_child_until_.push_back(years.second);
    triangles_ += arrays.first->size() / 3;
  }
}

void CityScene::build_homes() {
  // Square dots of a fixed size on screen, on their parcel's roof: a dark 8-pixel square, then the
  // 6-pixel coloured one over it. Drawn after the road ribbons, depth-tested against the blocks.
  const auto& h = run_.homes;
  if (h.size() == 0) return;
  osg::ref_ptr<osg::Vec3Array> v = new osg::Vec3Array;
  for (std::size_t i = 0; i < h.size(); ++i)
    v->push_back(osg::Vec3(static_cast<float>(h.at[i].x), static_cast<float>(h.at[i].y), run_.parcel_height[h.parcel[i]] + 0.3f));
  auto dots = [&](float size, int bin) {
    osg::ref_ptr<osg::Geometry> g = new osg::Geometry;
    g->setVertexArray(v);
    g->addPrimitiveSet(new osg::DrawArrays(GL_POINTS, 0, static_cast<GLsizei>(v->size())));
    g->setUseDisplayList(false);
    g->setUseVertexBufferObjects(true);
    osg::ref_ptr<osg::Geode> geode = new osg::Geode;
    geode->addDrawable(g);
    unlit(geode);
    osg::StateSet* ss = geode->getOrCreateStateSet();
    ss->setAttributeAndModes(new osg::Point(size));
    ss->setMode(GL_POINT_SMOOTH, osg::StateAttribute::OFF);
    ss->setRenderBinDetails(bin, "RenderBin");
    if (bin == 20) ss->setAttributeAndModes(new osg::Depth(osg::Depth::LESS, 0.0, 1.0, false));  // the outline writes no depth
    homes_sw_->addChild(geode);
    return g;
  };
  osg::ref_ptr<osg::Geometry> outline = dots(8, 20);
  osg::ref_ptr<osg::Vec4Array> dark = new osg::Vec4Array;
  dark->push_back(osg::Vec4(0.08f, 0.08f, 0.1f, 1));
  outline->setColorArray(dark, osg::Array::BIND_OVERALL);
  homes_ = dots(6, 21);
  homes_->setColorArray(new osg::Vec4Array(static_cast<unsigned>(v->size())), osg::Array::BIND_PER_VERTEX);
  homes_->setDataVariance(osg::Object::DYNAMIC);
}

bool CityScene::homes_shown() const { return layers_.homes && homes_ && year_ == run_.homes.year; }

double CityScene::show(const std::string& indicator, int year) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t k = run_.indicator_index(indicator);
  const std::size_t yi = run_.year_index(year);
  const auto& a = run_.values[k][yi];
  const std::size_t n = a.size();
  if (other_) {
    const std::size_t kb = other_->indicator_index(indicator);
    const auto& b = other_->values[kb][other_->year_index(year)];
    for (std::size_t i = 0; i < n; ++i) shown_[i] = a[i] - b[i];  // NaN stays NaN
  } else {
    std::copy(a.begin(), a.end(), shown_.begin());
  }
  // The range covers every year (and both runs), so colours compare across years; a share of
  // residents (not compared) always spans 0-1.
  if (indicator != indicator_) {
    double lo = 1e300, hi = -1e300;
    for (std::size_t y = 0; y < run_.years.size(); ++y) {
      const auto& va = run_.values[k][y];
      for (std::size_t i = 0; i < n; ++i) {
        float v = va[i];
        if (other_) {
          const auto yb = std::find(other_->years.begin(), other_->years.end(), run_.years[y]);
          if (yb == other_->years.end()) continue;
          v -= other_->values[other_->indicator_index(indicator)][static_cast<std::size_t>(yb - other_->years.begin())][i];
        }
        if (std::isnan(v)) continue;
        lo = std::min(lo, static_cast<double>(v));
        hi = std::max(hi, static_cast<double>(v));
      }
    }
    if (lo > hi) lo = 0, hi = 1;
    if (!other_ && label_of(indicator).share) {
      lo = 0, hi = 1;  // shares of residents: always the whole 0-1 ramp, so colours compare across indicators
    } else if (other_) {
      const double m = std::max({std::abs(lo), std::abs(hi), 1e-9});
      lo = -m, hi = m;
    } else if (hi == lo) {
      hi = lo + 1;
    }
    range_ = {lo, hi};
    const auto& table = colormap(map_kind());
    osg::Image* cm = cmap_tex_->getImage();
    for (int e = 0; e < 256; ++e) {
      cm->data()[3 * e] = table[static_cast<std::size_t>(e)].r;
      cm->data()[3 * e + 1] = table[static_cast<std::size_t>(e)].g;
      cm->data()[3 * e + 2] = table[static_cast<std::size_t>(e)].b;
    }
    cm->dirty();
  }
  unsigned char* px = value_image_->data();
  for (std::size_t i = 0; i < n; ++i) px[i] = entries_[i] = index_of(shown_[i], range_);
  value_image_->dirty();
  // Links: v/c of the year; greenways and facilities that exist that year.
  if (links_) {
    auto* c = static_cast<osg::Vec4Array*>(links_->getColorArray());
    for (std::size_t l = 0; l < link_vertices_.size(); ++l) {
      const osg::Vec4 col = rgba(voc_colour(run_.link_voc[yi][l]));
      std::fill(c->begin() + static_cast<std::ptrdiff_t>(link_vertices_[l].first),
                c->begin() + static_cast<std::ptrdiff_t>(link_vertices_[l].first + link_vertices_[l].second), col);
    }
    c->dirty();
  }
  // Home points: within reach of the indicator's class (or tier), or not.
  if (homes_) {
    homes_key_ = run_.homes.key_for(indicator);
    auto* c = static_cast<osg::Vec4Array*>(homes_->getColorArray());
    for (std::size_t i = 0; i < run_.homes.size(); ++i)
      (*c)[i] = rgba(home_colour(homes_key_ == std::string::npos ? std::uint8_t{run_data::HomePoints::no_data} : run_.homes.state[homes_key_][i]));
    c->dirty();
  }
  for (unsigned i = 0; i < greenway_child_from_.size(); ++i) greenways_sw_->setValue(i, greenway_child_from_[i] <= year);
  for (unsigned i = 0; i < facility_child_from_.size(); ++i)
    facilities_sw_->setValue(i, facility_child_from_[i] <= year && (facility_child_until_[i] < 0 || year < facility_child_until_[i]));
  indicator_ = indicator;
  year_ = year;
  set_layers(layers_);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void CityScene::set_layers(const Layers& l) {
  layers_ = l;
  parcels_sw_->setNodeMask(l.parcels ? ~0u : 0u);
  links_sw_->setNodeMask(l.links ? ~0u : 0u);
  greenways_sw_->setNodeMask(l.greenways ? ~0u : 0u);
  facilities_sw_->setNodeMask(l.facilities ? ~0u : 0u);
  homes_sw_->setNodeMask(homes_shown() ? ~0u : 0u);
}

std::ptrdiff_t CityScene::parcel_of(const osg::Drawable* d, unsigned primitive) const {
  if (d != parcels_.get() || primitive >= tri_parcel_.size()) return -1;
  return tri_parcel_[primitive];
}

std::vector<float> CityScene::series(std::size_t parcel) const {
  std::vector<float> out;
  const std::size_t k = run_.indicator_index(indicator_);
  for (std::size_t y = 0; y < run_.years.size(); ++y) {
    float v = run_.values[k][y][parcel];
    if (other_) {
      const auto yb = std::find(other_->years.begin(), other_->years.end(), run_.years[y]);
      v = yb == other_->years.end() ? run_data::kNoData
                                    : v - other_->values[other_->indicator_index(indicator_)][static_cast<std::size_t>(yb - other_->years.begin())][parcel];
    }
    out.push_back(v);
  }
  return out;
}

void CityScene::set_values(const std::vector<std::size_t>& parcels, const std::vector<float>& values) {
  unsigned char* px = value_image_->data();
  for (const std::size_t p : parcels) {
    if (p >= shown_.size()) continue;
    shown_[p] = values[p];
    px[p] = entries_[p] = index_of(shown_[p], range_);
  }
  value_image_->dirty();
}

void CityScene::set_all_values(const std::vector<float>& values) {
  unsigned char* px = value_image_->data();
  for (std::size_t p = 0; p < shown_.size(); ++p) {
    shown_[p] = values[p];
    px[p] = entries_[p] = index_of(shown_[p], range_);
  }
  value_image_->dirty();
}

namespace {

osg::Geometry* mark_geometry(bool greenway) {
  osg::ref_ptr<osg::Geometry> g = new osg::Geometry;
  g->setVertexArray(new osg::Vec3Array(greenway ? 6u : 30u));
  osg::ref_ptr<osg::Vec4Array> c = new osg::Vec4Array(1);
  g->setColorArray(c, osg::Array::BIND_OVERALL);
  g->addPrimitiveSet(new osg::DrawArrays(GL_TRIANGLES, 0, greenway ? 6 : 30));
  g->setUseDisplayList(false);
  g->setUseVertexBufferObjects(true);
  g->setDataVariance(osg::Object::DYNAMIC);
  return g.release();
}

}  // namespace

void CityScene::reserve_marks(std::size_t capacity) {
  while (facility_marks_.size() < capacity) {
    for (const bool gw : {false, true}) {
      osg::ref_ptr<osg::Geode> geode = new osg::Geode;
      osg::ref_ptr<osg::Geometry> g = mark_geometry(gw);
      geode->addDrawable(g);
      unlit(geode);
      if (gw) overlay(geode, 2);
      marks_sw_->addChild(geode, false);
      (gw ? greenway_marks_ : facility_marks_).push_back(g);
    }
  }
}

void CityScene::add_facility_mark(const std::string& cls, double x, double y) {
  const std::size_t slot = mark_stack_.size();
  mark_stack_.push_back({false, slot});
  if (slot >= facility_marks_.size()) return;
  auto& g = *facility_marks_[slot];
  auto* v = static_cast<osg::Vec3Array*>(g.getVertexArray());
  // Larger than the mapped sites' columns (30 m): a visitor must see where their edit stands.
  const float fx = static_cast<float>(x), fy = static_cast<float>(y), s = 30, h = 90;
  const osg::Vec3 p[8] = {{fx - s, fy - s, 0}, {fx + s, fy - s, 0}, {fx + s, fy + s, 0}, {fx - s, fy + s, 0},
                          {fx - s, fy - s, h}, {fx + s, fy - s, h}, {fx + s, fy + s, h}, {fx - s, fy + s, h}};
  const int faces[5][4] = {{4, 5, 6, 7}, {0, 1, 5, 4}, {1, 2, 6, 5}, {2, 3, 7, 6}, {3, 0, 4, 7}};
  unsigned k = 0;
  for (const auto& f : faces)
    for (int i : {0, 1, 2, 0, 2, 3}) (*v)[k++] = p[f[i]];
  v->dirty();
  (*static_cast<osg::Vec4Array*>(g.getColorArray()))[0] = rgba(facility_colour(cls));
  g.getColorArray()->dirty();
  g.dirtyBound();
  marks_sw_->setValue(static_cast<unsigned>(2 * slot), true);
}

void CityScene::add_greenway_mark(double x0, double y0, double x1, double y1) {
  const std::size_t slot = mark_stack_.size();
  mark_stack_.push_back({true, slot});
  if (slot >= greenway_marks_.size()) return;
  auto& g = *greenway_marks_[slot];
  auto* v = static_cast<osg::Vec3Array*>(g.getVertexArray());
  const double len = std::hypot(x1 - x0, y1 - y0);
  const double nx = len > 0 ? -(y1 - y0) / len * 14 : 0, ny = len > 0 ? (x1 - x0) / len * 14 : 0;  // 28 m wide
  const osg::Vec3 a(static_cast<float>(x0 + nx), static_cast<float>(y0 + ny), 0.8f), b(static_cast<float>(x0 - nx), static_cast<float>(y0 - ny), 0.8f);
  const osg::Vec3 c(static_cast<float>(x1 - nx), static_cast<float>(y1 - ny), 0.8f), d(static_cast<float>(x1 + nx), static_cast<float>(y1 + ny), 0.8f);
  unsigned k = 0;
  for (const auto& p : {a, b, c, a, c, d}) (*v)[k++] = p;
  v->dirty();
  (*static_cast<osg::Vec4Array*>(g.getColorArray()))[0] = rgba({60, 240, 120});
  g.getColorArray()->dirty();
  g.dirtyBound();
  marks_sw_->setValue(static_cast<unsigned>(2 * slot + 1), true);
}

void CityScene::pop_mark() {
  if (mark_stack_.empty()) return;
  const auto [gw, slot] = mark_stack_.back();
  mark_stack_.pop_back();
  if (slot < facility_marks_.size()) marks_sw_->setValue(static_cast<unsigned>(2 * slot + (gw ? 1 : 0)), false);
}

void CityScene::clear_marks() {
  mark_stack_.clear();
  marks_sw_->setAllChildrenOff();
}

std::size_t CityScene::drawables() const {
  std::size_t n = 1;  // ground
  if (layers_.parcels) n += 1;
  if (layers_.links && links_) n += 1;
  if (layers_.greenways)
    for (unsigned i = 0; i < greenways_sw_->getNumChildren(); ++i) n += greenways_sw_->getValue(i);
  if (layers_.facilities)
    for (unsigned i = 0; i < facilities_sw_->getNumChildren(); ++i) n += facilities_sw_->getValue(i);
  if (homes_shown()) n += 2;
  for (unsigned i = 0; i < marks_sw_->getNumChildren(); ++i) n += marks_sw_->getValue(i);
  return n;
}

}  // namespace ut::render
