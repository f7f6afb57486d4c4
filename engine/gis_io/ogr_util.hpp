#pragma once
// Internal helpers shared by the GDAL readers of this module (not part of its interface).
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <string>

#include "geo/geometry.hpp"

namespace ut::gis_io::detail {

// Registers GDAL drivers once and silences GDAL's own stderr chatter (we report errors ourselves).
void init_gdal();

// Opens a vector data source read-only; throws InputError naming the file when it cannot.
GDALDatasetUniquePtr open_vector(const std::string& path);
// The same, for a source a scenario key names ("layers.roads.source"): the message says which key.
GDALDatasetUniquePtr open_vector(const std::string& path, const std::string& named_by);

// Flattens OGR geometries into our plain types (no reprojection). Curves are linearised.
geo::LineString to_line(const OGRLineString& ls);
void append_lines(const OGRGeometry& g, std::vector<geo::LineString>& out);
void append_polygons(const OGRGeometry& g, geo::MultiPolygon& out);

// OGR geometries from plain types.
OGRLineString from_line(const geo::LineString& line);
OGRMultiPolygon from_multipolygon(const geo::MultiPolygon& mp);

}  // namespace ut::gis_io::detail
