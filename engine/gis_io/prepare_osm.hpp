#pragma once
// Derivation of UrbanTwin's input layers from an OpenStreetMap extract (GDAL's OSM driver and
// OGR/GEOS geometry operations). docs/data-derivation.md explains every rule and figure.
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ut::gis_io {

// Ranges checked by prepare_osm() whatever its caller (InputError, exit code 2, otherwise).
constexpr double kMaxResidentsPerKm2 = 200000;  // residents_per_km2: a number > 0 and <= this
constexpr double kMaxContextM = 10000;          // context_m: a number from 0 to this (metres)
constexpr double kMaxStudyAreaKm2 = 10000;      // the <bounds> box, projected
constexpr double kMaxStudySpanDeg = 6;          // the <bounds> box, in either direction (one UTM zone)

struct PrepareOptions {
  std::filesystem::path osm;      // .osm or .osm.pbf
  std::filesystem::path metro;    // optional: metro stations (points with type=subway_station)
  std::filesystem::path out;      // GeoPackage to write (atomically)
  std::filesystem::path profile;  // city profile (TOML) with the [prepare_osm] tables: required
  // The study area: an Osmosis .poly file or any OGR polygon layer (--area), a box "W,S,E,N"
  // (--bbox), or (both empty) the extract's own boundary polygon: FILE.poly beside FILE.osm[.pbf],
  // else the extract's box with a note (the profile's study_area = "bounds": the box, no note).
  std::filesystem::path area;
  std::string bbox;
  // Residents evidence (at most one; none: the profile's [prepare_osm.residents]; neither: exit 2).
  std::optional<double> residents;          // a total (e.g. a census figure), spread by residential floor area
  std::optional<double> residents_per_km2;  // residents per km2 of land in the study area
  std::filesystem::path population_raster;  // any GDAL raster of residents per cell, with a CRS
  double context_m = 1000;                  // roads and facilities are kept this far outside the study area
  // Called when each stage starts: the share of the work done before it (0..1) and its name
  // ("reading lines", "making blocks", ...); empty: none (the command's progress bar).
  std::function<void(double done, const std::string& stage)> progress;
};

struct PrepareReport {
  std::string crs;
  std::map<std::string, long long> counts;  // "parcels", "roads", "facilities.kindergarten", ...
  std::map<std::string, double> figures;    // "residents", "greenway_km", ...
  std::vector<std::string> notes;           // absent classes, assumptions made
  // Written to the about table after the rows above, in this order: the study area, the residents
  // method and its figures, the profile used, the land and water areas.
  std::vector<std::pair<std::string, std::string>> method;
};

// Every number or name that belongs to one city comes from options.profile (its [prepare_osm]
// tables, gis_io/osm_profile.hpp); the code holds OSM's generic semantics only. The study area is
// land only: water areas and the sea (from natural=coastline ways, land on their left) are never
// parcels; they are barriers (kind water / sea) and the layer water. Residents come from one
// piece of evidence (options first, then the profile; none: InputError), and the about table
// says which (study_area, residents_method, residents_source, residents_spread, profile).
//
// What the OSM file must satisfy (InputError naming the file, the line or element and the bad
// value otherwise; nothing is written):
// - an OpenStreetMap file GDAL's OSM driver reads: .osm XML (well-formed, not truncated) or .osm.pbf;
// - a <bounds> box (PBF: the header bbox) of latitudes/longitudes in range, min < max, inside the
//   UTM band (80 S to 84 N), at most kMaxStudySpanDeg wide and high and kMaxStudyAreaKm2 in area;
// - XML only (scanned before GDAL, which reads numbers with atof): every node has an integer id,
//   unique, and lat/lon numbers in range; every way, relation, nd and member id is an integer;
// - at least one highway way within the study area or its context, and some land: at least one
//   block outside water and the sea.
// - the study area (--area .poly or OGR polygons with a CRS, --bbox, FILE.poly beside the extract,
//   else the extract's box) obeys the box rules above; the profile file is valid; a population
//   raster has a CRS, a geotransform and at most 25 million cells.
// - building ids unique: a building's id is its way id, or its relation id + 10^15 (no clash, no
//   overflow; real OSM ids are far below).
// Accepted, with a note in the report: ways referencing nodes absent from the extract (kept with
// the nodes present), ways with fewer than two distinct nodes (skipped), a study area without
// residential floor area (no residents). Node ids that are negative, huge or unsorted are read
// with GDAL's SQLite node index. maxspeed/lanes tags that are not a number in (0, 300] km/h or
// (0, 20] lanes fall back to the class default.
PrepareReport prepare_osm(const PrepareOptions& options);

}  // namespace ut::gis_io
