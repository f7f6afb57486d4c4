#pragma once
// Colour maps as 256-entry tables: entries 0..254 are the ramp, 255 is "no data". Values map to
// an entry by index_of; the shader looks the entry up in the same table, so the colour a parcel
// shows is exactly table[index_of(value)] (the tests check pixels against it).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

namespace ut::render {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

inline constexpr int kNoDataIndex = 255;
inline constexpr int kRampMax = 254;

enum class MapKind { sequential, diverging };

// Sequential: viridis (sampled at 0, .25, .5, .75, 1, linear in between). Diverging: ColorBrewer
// RdBu ends, white at the middle entry 127, which is exactly where 0 falls on a symmetric range.
const std::array<Rgb, 256>& colormap(MapKind kind);

// The "no data" colour (entry 255 of both maps).
inline constexpr Rgb kNoDataRgb{150, 150, 150};

struct Range {
  double lo = 0, hi = 1;
};

// Entry of value v on range r: round((v - lo) / (hi - lo) * 254), clamped; NaN -> 255.
inline std::uint8_t index_of(float v, const Range& r) {
  if (std::isnan(v)) return kNoDataIndex;
  const double span = r.hi - r.lo;
  const double t = span > 0 ? (static_cast<double>(v) - r.lo) / span : 0.5;
  const double k = std::floor(std::clamp(t, 0.0, 1.0) * kRampMax + 0.5);
  return static_cast<std::uint8_t>(k);
}

// v/c of a road link: green (free) -> yellow (0.8) -> red (>= 1.2); closed links dark grey.
Rgb voc_colour(float voc);

// Bilingual label ("中文 English") and unit of a parcel_years field, for the legend and HUD.
// `share`: the field is a share of residents (0-1: share_<class>, cov_<N>min); it is coloured on
// the fixed range 0-1 and shown in percent.
struct Label {
  std::string zh, en, unit;
  bool share = false;
};
Label label_of(const std::string& field);

// The bilingual name of a class (kindergarten -> 幼儿园, kindergarten) or a tier (cov_15min ->
// 15分钟生活圈, 15-minute life circle); the key itself when unknown.
std::pair<std::string, std::string> reach_name(const std::string& key);

// A value as the legend and the info panel write it: percent for shares ("73 %"), else a number
// with as many decimals as its size needs.
std::string format_value(const Label& label, double v);

}  // namespace ut::render
