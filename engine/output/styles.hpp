#pragma once
// Default styles and layer metadata that QGIS reads from a GeoPackage (docs/outputs.md): each
// style is written as QGIS QML (3.22's format) and as OGC SLD 1.1, both generated here from one
// description; the GeoPackage's `layer_styles` table holds them (output/gpkg.hpp).
//
// Graduated classes follow QGIS: a value belongs to the first class with lower <= v <= upper;
// features whose value is empty (no data) are not drawn.
#include <cstdint>
#include <string>
#include <vector>

namespace ut::output::styles {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};
std::string hex(Rgb c);  // "#rrggbb"

enum class Geometry { polygon, line, point };

struct Range {
  double lower = 0, upper = 0;
  std::string label;
  Rgb color;
};
struct Category {
  std::string value, label;
  Rgb color;
};

struct Style {
  std::string name;   // the style's name in layer_styles
  std::string title;  // its description (bilingual)
  Geometry geometry = Geometry::polygon;
  std::string field;                 // the classified field; empty: one symbol for every feature
  std::vector<Range> ranges;         // graduated on `field`
  std::vector<Category> categories;  // categorized on `field` (when `ranges` is empty)
  Rgb color;                         // the single symbol's colour
  double size_mm = 0;                // line width or marker diameter
  // Date-time fields (local time, no zone): the layer is time-enabled, each feature lasting from
  // temporal_start (included) to temporal_end (excluded).
  std::string temporal_start, temporal_end;
};

std::string qml(const Style& s);
std::string sld(const Style& s, const std::string& layer);

// The project's styles.
// `field` holds a share 0-1 of residents within the 15-minute (or another) reach.
Style coverage_share(const std::string& field, const std::string& what_zh, const std::string& what_en);
// A difference B - A: diverging classes symmetric around 0 (a middle class holds "no change"),
// the outer classes reaching +-max_abs.
Style difference(const std::string& field, double max_abs, const std::string& what_zh, const std::string& what_en);
Style volume_capacity(const std::string& field);
Style facility_classes(const std::string& field, const std::vector<std::string>& classes);
Style greenways();
Style home_points();

// Layer metadata in QGIS's own format (QgsLayerMetadata XML), which QGIS 3.22 reads from
// gpkg_metadata and shows in the layer properties' Metadata tab.
struct LayerDoc {
  std::string identifier, title, abstract, rights, license;
  std::vector<std::string> keywords;
};
std::string qgis_metadata(const LayerDoc& d);

std::string xml_escape(const std::string& s);

}  // namespace ut::output::styles
