#pragma once
// Derivation of UrbanTwin's input layers from an OpenStreetMap extract (GDAL's OSM driver and
// OGR/GEOS geometry operations). docs/data-derivation.md explains every rule and figure.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ut::gis_io {

struct PrepareOptions {
  std::filesystem::path osm;    // .osm or .osm.pbf
  std::filesystem::path metro;  // optional: metro stations (points with type=subway_station)
  std::filesystem::path out;    // GeoPackage to write (atomically)
  double residents_per_km2 = 13527;  // residents per km2 of land in the study area
  double context_m = 1000;           // roads and facilities are kept this far outside the study area
};

struct PrepareReport {
  std::string crs;
  std::map<std::string, long long> counts;  // "parcels", "roads", "facilities.kindergarten", ...
  std::map<std::string, double> figures;    // "residents", "greenway_km", ...
  std::vector<std::string> notes;           // absent classes, assumptions made
};

PrepareReport prepare_osm(const PrepareOptions& options);

}  // namespace ut::gis_io
