#pragma once
// How far things may lie from a street and still be attached to the network (internal to sim).
namespace ut::sim::snap {

inline constexpr double kParcelM = 500;    // a parcel farther than this from any usable street is unattached
inline constexpr double kSiteM = 300;      // a point facility farther than this from any street is unattached
inline constexpr double kParkGateM = 100;  // park boundary samples farther than this from a path are no entrance
inline constexpr double kParkGateStepM = 50;  // spacing of park boundary samples (standards.md, models.md)

}  // namespace ut::sim::snap
