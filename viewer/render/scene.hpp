#pragma once
// The 3D city of a run directory in OpenSceneGraph: parcels extruded by floor area and coloured
// by a per-parcel value texture through a colour-map shader (a new year or indicator rewrites the
// texture only; the geometry is built once), road links as ribbons coloured by v/c, greenways,
// facilities as symbols by class, a ground plane. Coordinates are local (metres from the run's
// centre) so 32-bit floats keep centimetre precision.
#include <osg/Geometry>
#include <osg/Group>
#include <osg/Image>
#include <osg/Switch>
#include <osg/Texture2D>

#include <string>
#include <vector>

#include "render/colormap.hpp"
#include "run_data/run_data.hpp"

namespace ut::render {

struct Layers {
  bool parcels = true, links = true, greenways = true, facilities = true;
  bool homes = false;  // home points (the run's last year only)
};

// Home point dots: within reach of the shown indicator's class or tier, not, or no data.
inline constexpr Rgb kWithinRgb{255, 255, 255}, kNotWithinRgb{230, 30, 60};
Rgb home_colour(std::uint8_t state);

class CityScene {
 public:
  // `other`: the run to compare with (colours A - B on a diverging map); nullptr for none.
  CityScene(const run_data::RunData& run, const run_data::RunData* other = nullptr);

  osg::Group* root() const { return root_.get(); }

  // Recolours parcels (value texture) and links (colour array) for an indicator and year, and
  // shows the greenways and facilities that exist that year. Throws InputError for an unknown
  // indicator or year. Returns the seconds it took.
  double show(const std::string& indicator, int year);
  void set_layers(const Layers& l);
  const Layers& layers() const { return layers_; }

  const std::string& indicator() const { return indicator_; }
  int year() const { return year_; }
  Range range() const { return range_; }
  MapKind map_kind() const { return other_ ? MapKind::diverging : MapKind::sequential; }
  bool comparing() const { return other_ != nullptr; }
  const run_data::RunData* other() const { return other_; }  // B when comparing
  // The value shown for a parcel (A - B when comparing) and its colour-map entry.
  float value(std::size_t parcel) const { return shown_[parcel]; }
  std::uint8_t entry(std::size_t parcel) const { return entries_[parcel]; }
  // The parcel a picked triangle of the parcel geometry belongs to, or -1.
  std::ptrdiff_t parcel_of(const osg::Drawable* d, unsigned primitive) const;
  // The values of one parcel over the years (A - B when comparing).
  std::vector<float> series(std::size_t parcel) const;

  // Home points: drawn when the layer is on and the shown year is the layer's year; the key
  // (class or tier) of run().homes they are coloured by (npos: none).
  bool homes_shown() const;
  std::size_t homes_key() const { return homes_key_; }

  // Live edits: new values for some parcels of the shown indicator (values in parcel order; only
  // the listed parcels' texels are rewritten), or for all of them. The range stays the shown
  // indicator's; nothing is rebuilt.
  void set_values(const std::vector<std::size_t>& parcels, const std::vector<float>& values);
  void set_all_values(const std::vector<float>& values);

  // Marks of the live edits: an added facility (a column coloured by class) or a drawn greenway
  // (a straight ribbon), local coordinates. `capacity` slots of each are made once (the visitor's
  // budget); a mark beyond them is not drawn. pop_mark removes the newest (undo); clear_marks all.
  void reserve_marks(std::size_t capacity);
  void add_facility_mark(const std::string& cls, double x, double y);
  void add_greenway_mark(double x0, double y0, double x1, double y1);
  void pop_mark();
  void clear_marks();
  std::size_t marks() const { return mark_stack_.size(); }

  const run_data::RunData& run() const { return run_; }
  std::size_t triangles() const { return triangles_; }
  std::size_t drawables() const;  // draw calls of the 3D scene (one per visible drawable)

 private:
  const run_data::RunData& run_;
  const run_data::RunData* other_;
  osg::ref_ptr<osg::Group> root_;
  osg::ref_ptr<osg::Switch> parcels_sw_, links_sw_, greenways_sw_, facilities_sw_, homes_sw_;
  osg::ref_ptr<osg::Geometry> parcels_, links_, homes_;
  osg::ref_ptr<osg::Image> value_image_;
  osg::ref_ptr<osg::Texture2D> value_tex_, cmap_tex_;
  std::vector<std::uint32_t> tri_parcel_;
  std::vector<std::pair<std::size_t, std::size_t>> link_vertices_;  // per link: first colour, count
  std::vector<int> greenway_child_from_, facility_child_from_, facility_child_until_;
  std::vector<float> shown_;
  std::vector<std::uint8_t> entries_;
  std::string indicator_;
  int year_ = 0;
  Range range_;
  Layers layers_;
  std::size_t triangles_ = 0;
  std::size_t homes_key_ = std::string::npos;
  osg::ref_ptr<osg::Switch> marks_sw_;
  std::vector<osg::ref_ptr<osg::Geometry>> facility_marks_, greenway_marks_;
  std::vector<std::pair<bool, std::size_t>> mark_stack_;  // (greenway, slot), oldest first

  void build_parcels();
  void build_links();
  void build_greenways();
  void build_facilities();
  void build_homes();
  void build_ground();
};

}  // namespace ut::render
