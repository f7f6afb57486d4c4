#pragma once
// Home points: where a parcel's residents live inside it (docs/access.md, "Home points").
// Residential building footprints where they are mapped (weighted by footprint x storeys),
// otherwise a square lattice clipped to the parcel (optionally weighted by a population raster),
// and at least one point on the parcel's surface. A parcel's residents are spread over its
// points by these fixed weights as whole numbers that add up exactly. Pure computation: gis_io
// reads the layers, the simulation attaches the points to the networks.
#include <cstdint>
#include <string>
#include <vector>

#include "city/city.hpp"

namespace ut::homes {

enum class Source : std::uint8_t { lattice = 0, building = 1, surface = 2 };
const char* source_name(Source s);

struct Params {
  double spacing_m = 50;           // lattice spacing
  double min_building_cover = 0.1;  // residential footprints must cover this share of the parcel
  double default_levels = 1;        // storeys of a building whose levels are not given
  std::vector<std::string> residential_types;  // building=* values that are housing
  std::vector<std::string> generic_types;      // count only where the parcel's land use houses residents
};

struct HomePoints {
  std::vector<std::uint32_t> offset;  // parcels + 1: parcel p's points are [offset[p], offset[p + 1])
  std::vector<geo::Point> xy;
  std::vector<double> weight;         // share weights inside the parcel (> 0)
  std::vector<Source> source;
  std::vector<std::uint32_t> parcel;  // per point: its parcel index
  // What the generator did, for the notes and the docs.
  std::size_t parcels_from_buildings = 0, parcels_from_lattice = 0, parcels_on_surface = 0;
  std::size_t buildings_used = 0;           // residential buildings that became home points
  std::size_t buildings_too_sparse = 0;     // residential buildings in parcels below min_building_cover
  std::size_t buildings_outside = 0;        // residential buildings in no parcel
  std::size_t lattice_in_water = 0;         // lattice points dropped inside water areas
  std::vector<std::int64_t> parcels_all_water;  // parcel ids whose every lattice point was in water
  bool raster_weights = false;
  std::size_t size() const { return xy.size(); }
  std::size_t parcels() const { return offset.empty() ? 0 : offset.size() - 1; }
};

// An upper estimate of the number of points (lattice points plus one per parcel), to refuse a
// spacing that would need more memory than a run may take before generating anything.
double estimate_points(const city::Parcels& parcels, double spacing_m);

// housing[p] != 0: parcel p's land use houses residents (generic building types count there).
// Deterministic: the same points in the same order for any thread count.
HomePoints generate(const city::City& c, const std::vector<std::uint8_t>& housing, const Params& prm);

// Spreads each parcel's residents over its points in proportion to the weights, as whole numbers
// adding up exactly to the parcel's residents (largest remainder; ties go to the earlier point).
void spread(const HomePoints& h, const std::vector<std::uint32_t>& parcel_residents, std::vector<std::uint32_t>& out);

}  // namespace ut::homes
