#pragma once
// Validation limits: the largest inputs the engine accepts, each with the reason for its value
// (docs/conventions.md, "Validation limits", repeats them). Beyond a limit the input is rejected
// with exit code 2 — never clipped, rounded or wrapped — so that a run's memory and time stay
// bounded and every number is in the domain of the arithmetic that uses it.
#include <cstddef>
#include <cstdint>

namespace ut::scenario::limits {

// Persons in the city in any year: the base year's residents, every control total and the
// growth_pct_per_year projection over the horizon. bench_population: 21 M persons take 2.0 s and
// 533 MiB a year (docs/performance.md); 25 M keep a 100-year run within minutes and 1 GB.
inline constexpr std::uint64_t kMaxPersons = 25'000'000;
// Residents of one parcel (a block; a whole district of 1 M people as one polygon still fits).
inline constexpr std::uint64_t kMaxResidentsPerParcel = 1'000'000;
// Floor area of one parcel, m² (a 100 km² parcel at FAR 1): with unit_floor_m2 >= 10 this keeps
// derived dwelling units <= kMaxUnitsPerParcel.
inline constexpr double kMaxFloorAreaM2 = 1e8;
// Dwelling units of one parcel ([[rezone]] units, or derived from its floor area).
inline constexpr std::uint64_t kMaxUnitsPerParcel = 10'000'000;
// Growth of the dwelling units over the horizon, (1 + new_units_pct_per_year / 100)^years: the
// per-parcel count stays far below 2^32 (the population model's unit counter).
inline constexpr double kMaxUnitsGrowth = 10;
// Capacity of one facility (seats, beds, residents served): capacity x 1,000 (2SFCA's supply
// per 1,000 residents for a single resident) stays inside core::to_fixed's domain.
inline constexpr double kMaxCapacity = 1e6;
// Lanes of a road.
inline constexpr std::int64_t kMaxLanes = 20;
// Coordinates in the run's CRS, metres: beyond every projected CRS's false easting/northing
// (zone-prefixed Gauss-Krüger eastings reach 4e7).
inline constexpr double kMaxCoordinateM = 1e8;
// The parcels span at most this many metres east-west and north-south, and every other feature
// lies within kMaxMarginM of their bounding box: a metropolitan area. The network's segment index
// uses 100 m cells, so this bounds its memory (3,000 x 3,000 cells).
inline constexpr double kMaxExtentM = 200'000;
inline constexpr double kMaxMarginM = 50'000;
// A source coordinate must lie within its CRS's area of use (PROJ's database) widened by this
// many degrees: data slightly beyond a UTM zone are fine, swapped or foreign coordinates are not.
inline constexpr double kDomainMarginDeg = 5;
// Home points ([homes], docs/access.md). The finest lattice spacing, metres: about a house's
// width; a parcel of area A gets about A / spacing^2 points, so a 1 km2 block stays at 40,000.
inline constexpr double kMinHomeSpacingM = 5;
// Storeys of a building (the layer's levels, homes.default_levels): above the tallest building
// built (163); levels x footprint stays a finite floor area.
inline constexpr double kMaxBuildingLevels = 200;
// Cells of the population raster warped over the parcels' extent (4 bytes each: 400 MB): a
// 200 km x 200 km extent at 20 m, or 100 m rasters (WorldPop, GHS-POP) over any allowed extent.
inline constexpr double kMaxDensityCells = 100'000'000;
// A scenario name names the run directory: [A-Za-z0-9._-], not starting with '.', at most this long.
inline constexpr std::size_t kMaxNameLength = 100;
// The scenario file itself (TOML): larger files are not scenarios.
inline constexpr std::uintmax_t kMaxScenarioBytes = 64u << 20;

}  // namespace ut::scenario::limits
