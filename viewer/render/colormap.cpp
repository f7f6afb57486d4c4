#include "render/colormap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

namespace ut::render {

namespace {

std::array<Rgb, 256> build(const std::vector<std::pair<double, Rgb>>& anchors) {
  std::array<Rgb, 256> t{};
  for (int k = 0; k <= kRampMax; ++k) {
    const double x = static_cast<double>(k) / kRampMax;
    std::size_t i = 0;
    while (i + 2 < anchors.size() && x > anchors[i + 1].first) ++i;
    const auto& [x0, c0] = anchors[i];
    const auto& [x1, c1] = anchors[i + 1];
    const double f = std::clamp((x - x0) / (x1 - x0), 0.0, 1.0);
    auto mix = [&](std::uint8_t a, std::uint8_t b) { return static_cast<std::uint8_t>(std::lround(a + (b - a) * f)); };
    t[static_cast<std::size_t>(k)] = {mix(c0.r, c1.r), mix(c0.g, c1.g), mix(c0.b, c1.b)};
  }
  t[kNoDataIndex] = kNoDataRgb;
  return t;
}

const std::map<std::string, std::pair<std::string, std::string>>& classes() {
  static const std::map<std::string, std::pair<std::string, std::string>> cls = {
      {"kindergarten", {"幼儿园", "kindergarten"}},    {"elderly_care", {"养老设施", "elderly care"}},
      {"primary_school", {"小学", "primary school"}}, {"middle_school", {"初中", "middle school"}},
      {"health", {"社区卫生服务中心", "health centre"}}, {"metro", {"地铁站", "metro station"}},
      {"park", {"公园", "park"}},                      {"green", {"绿地", "green space"}},
      {"greenway", {"绿道", "greenway"}},              {"fire", {"消防站", "fire station"}}};
  return cls;
}

}  // namespace

std::pair<std::string, std::string> reach_name(const std::string& key) {
  if (const auto it = classes().find(key); it != classes().end()) return it->second;
  for (int t : {5, 10, 15})
    if (key == fmt::format("cov_{}min", t)) return {fmt::format("{}分钟生活圈", t), fmt::format("{}-minute life circle", t)};
  return {key, key};
}

const std::array<Rgb, 256>& colormap(MapKind kind) {
  static const auto seq = build({{0.0, {68, 1, 84}}, {0.25, {59, 82, 139}}, {0.5, {33, 145, 140}}, {0.75, {94, 201, 98}}, {1.0, {253, 231, 37}}});
  static const auto div = [] {
    auto t = build({{0.0, {33, 102, 172}}, {0.5, {247, 247, 247}}, {1.0, {178, 24, 43}}});
    t[127] = {247, 247, 247};  // the zero colour, exactly
    return t;
  }();
  return kind == MapKind::sequential ? seq : div;
}

Rgb voc_colour(float voc) {
  if (std::isnan(voc)) return {70, 70, 70};
  const double v = std::clamp(static_cast<double>(voc), 0.0, 1.2);
  auto lerp = [](Rgb a, Rgb b, double f) {
    return Rgb{static_cast<std::uint8_t>(std::lround(a.r + (b.r - a.r) * f)), static_cast<std::uint8_t>(std::lround(a.g + (b.g - a.g) * f)),
               static_cast<std::uint8_t>(std::lround(a.b + (b.b - a.b) * f))};
  };
  const Rgb green{26, 152, 80}, yellow{254, 224, 139}, red{215, 48, 39};
  return v < 0.8 ? lerp(green, yellow, v / 0.8) : lerp(yellow, red, (v - 0.8) / 0.4);
}

Label label_of(const std::string& f) {
  // Shares are of the residents of a parcel, counted at their home points (docs/access.md).
  static const std::map<std::string, Label> fixed = {
      {"residents", {"常住人口", "residents", "人 persons"}},
      {"residents_per_ha", {"人口密度", "residents per hectare", "人/公顷 per ha"}},
      {"households", {"户数", "households", "户 households"}},
      {"dwelling_units", {"住房套数", "dwelling units", "套 units"}},
      {"children_6_14", {"学龄儿童 (6-14岁)", "children aged 6-14", "人 persons"}},
      {"cov_5min", {"5分钟生活圈 居民可达比例", "5-minute life circle: share of residents within reach", "%", true}},
      {"cov_10min", {"10分钟生活圈 居民可达比例", "10-minute life circle: share of residents within reach", "%", true}},
      {"cov_15min", {"15分钟生活圈 居民可达比例", "15-minute life circle: share of residents within reach", "%", true}},
  };
  const auto& cls = classes();
  if (auto it = fixed.find(f); it != fixed.end()) return it->second;
  auto strip = [&](const std::string& pre, const std::string& post) -> std::string {
    if (f.rfind(pre, 0) != 0 || f.size() < pre.size() + post.size() || f.compare(f.size() - post.size(), post.size(), post) != 0) return "";
    return f.substr(pre.size(), f.size() - pre.size() - post.size());
  };
  for (const auto& [key, names] : cls) {
    if (strip("dist_", "_m") == key) return {"到" + names.first + "步行距离 (居民中位数)", "walk to " + names.second + " (residents' median)", "米 m"};
    if (strip("time_", "_s") == key) return {names.first + "车程 (居民中位数)", "drive to " + names.second + " (residents' median)", "秒 s"};
    if (strip("share_", "") == key) return {names.first + " 居民可达比例", names.second + ": share of residents within reach", "%", true};
    if (strip("served_", "") == key) return {names.first + " 可达居民", names.second + ": residents within reach", "人 persons"};
    if (strip("supply_", "_per_1000") == key) return {names.first + "每千人供给", names.second + " supply per 1,000", "每千人 per 1,000"};
  }
  return {f, f, ""};
}

std::string format_value(const Label& label, double v) {
  if (std::isnan(v)) return "无数据 no data";
  if (label.share) return fmt::format("{:.0f} %", std::round(v * 100) + 0.0);  // + 0.0: "0 %", never "-0 %"
  if (std::abs(v) >= 1000) return fmt::format("{:.0f}", v);
  if (std::abs(v) >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2f}", v);
}

}  // namespace ut::render
