#pragma once
// The heads-up display: title and year, the legend (title, units, range, colour bar, a "no data"
// swatch), a year slider, a caption line (exhibition), an info panel (picked parcel) and the
// credit of the run's data (OpenStreetMap's, or the credits its manifest records), which is always
// drawn. Chinese and English, in a CJK font.
#include <osg/Camera>
#include <osg/Geometry>
#include <osgText/Font>
#include <osgText/Text>

#include <string>

#include "render/scene.hpp"

namespace ut::render {

// The CJK font the viewer uses (Debian package fonts-wqy-zenhei).
inline constexpr const char* kDefaultFont = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc";

// Loads a font file; throws InputError naming the path when it cannot.
osg::ref_ptr<osgText::Font> load_font(const std::string& path);

class Hud {
 public:
  Hud(osgText::Font* font, int width, int height);
  osg::Camera* camera() const { return camera_.get(); }
  void resize(int width, int height);
  // Redraws the texts and the legend for the scene's current indicator, year and range.
  void update(const CityScene& scene);
  void set_caption(const std::string& zh, const std::string& en);
  void set_info(const std::string& text);
  void set_legend_visible(bool on);
  // The year slider's screen box (x0, y0, x1, y1) and the year under a screen x, for clicks.
  bool slider_year(const CityScene& scene, double x, double y, int& year) const;
  // The bottom-left panels (legend, and the home points' key above it when shown): width and
  // height in pixels, for telling which parcels the HUD may hide.
  float legend_width() const { return legend_w_; }
  float legend_height() const { return legend_h_; }

 private:
  osg::ref_ptr<osg::Camera> camera_;
  osg::ref_ptr<osgText::Font> font_;
  osg::ref_ptr<osgText::Text> title_, year_, legend_title_, legend_lo_, legend_hi_, legend_mid_, no_data_, caption_, info_, attribution_;
  osg::ref_ptr<osgText::Text> homes_title_, homes_within_, homes_not_, homes_no_data_;
  osg::ref_ptr<osg::Geometry> bar_, slider_, panels_, homes_swatches_;
  osg::ref_ptr<osg::Group> legend_, homes_legend_;
  int width_, height_;
  bool legend_on_ = true, homes_on_ = false;
  float legend_w_ = 420, legend_h_ = 88;
  float slider_x0_ = 0;  // the slider starts after the title
  std::string credit_;   // the attribution line shown
  void place_legend_panel(float w, float h);
  osgText::Text* text(float size, osgText::Text::AlignmentType align);
  void layout();
};

}  // namespace ut::render
