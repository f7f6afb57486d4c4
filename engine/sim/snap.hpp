#pragma once
// How far things may lie from a street and still be attached to the network (internal to sim).
#include <cstddef>

namespace ut::sim::snap {

inline constexpr double kParcelM = 500;    // traffic zones: a parcel centroid farther than this from the street is left out
// Home points a run may hold (about 150 bytes each with their entries and per-class costs:
// 4.5 GB); the lattice spacing must keep a city below it.
inline constexpr std::size_t kMaxHomePoints = 30'000'000;
inline constexpr double kSiteM = 300;      // a point facility farther than this from any street is unattached
inline constexpr double kParkGateM = 100;  // park boundary samples farther than this from a path are no entrance
inline constexpr double kParkGateStepM = 50;  // spacing of park boundary samples (standards.md, models.md)

}  // namespace ut::sim::snap
