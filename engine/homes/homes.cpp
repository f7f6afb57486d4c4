#include "homes/homes.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ut::homes {

const char* source_name(Source s) {
  switch (s) {
    case Source::lattice: return "lattice";
    case Source::building: return "building";
    case Source::surface: return "surface";
  }
  return "?";
}

double estimate_points(const city::Parcels& parcels, double spacing_m) {
  double n = 0;
  for (std::size_t p = 0; p < parcels.size(); ++p) {
    const geo::BBox b = geo::bbox(parcels.shape[p]);
    if (b.empty()) continue;
    // Lattice points within the box, plus one.
    n += (std::floor((b.max_x - b.min_x) / spacing_m) + 1) * (std::floor((b.max_y - b.min_y) / spacing_m) + 1) + 1;
  }
  return n;
}

namespace {

bool overlaps(const geo::BBox& a, const geo::BBox& b) {
  return !(a.max_x < b.min_x || b.max_x < a.min_x || a.max_y < b.min_y || b.max_y < a.min_y);
}

// Uniform grid over the parcels' boxes: which parcel contains a point.
class ParcelGrid {
 public:
  explicit ParcelGrid(const city::Parcels& P) : P_(P), boxes_(P.size()) {
    for (std::size_t p = 0; p < P.size(); ++p) {
      boxes_[p] = geo::bbox(P.shape[p]);
      if (!boxes_[p].empty()) all_.add({boxes_[p].min_x, boxes_[p].min_y}), all_.add({boxes_[p].max_x, boxes_[p].max_y});
    }
    if (all_.empty()) return;
    // About one parcel per cell on average, within sane bounds.
    const double area = (all_.max_x - all_.min_x + 1) * (all_.max_y - all_.min_y + 1);
    cell_ = std::clamp(std::sqrt(area / static_cast<double>(std::max<std::size_t>(P.size(), 1))), 50.0, 5000.0);
    nx_ = static_cast<std::int64_t>((all_.max_x - all_.min_x) / cell_) + 1;
    ny_ = static_cast<std::int64_t>((all_.max_y - all_.min_y) / cell_) + 1;
    std::vector<std::uint32_t> count(static_cast<std::size_t>(nx_ * ny_) + 1, 0);
    auto visit = [&](std::size_t p, auto&& f) {
      const geo::BBox& b = boxes_[p];
      if (b.empty()) return;
      for (std::int64_t y = cy(b.min_y); y <= cy(b.max_y); ++y)
        for (std::int64_t x = cx(b.min_x); x <= cx(b.max_x); ++x) f(static_cast<std::size_t>(y * nx_ + x));
    };
    for (std::size_t p = 0; p < P.size(); ++p) visit(p, [&](std::size_t c) { ++count[c + 1]; });
    for (std::size_t c = 1; c < count.size(); ++c) count[c] += count[c - 1];
    start_ = count;
    items_.resize(count.back());
    std::vector<std::uint32_t> fill(count.begin(), count.end() - 1);
    for (std::size_t p = 0; p < P.size(); ++p) visit(p, [&](std::size_t c) { items_[fill[c]++] = static_cast<std::uint32_t>(p); });
  }
  // The lowest parcel index containing q, or UINT32_MAX.
  std::uint32_t find(const geo::Point& q) const {
    if (all_.empty() || q.x < all_.min_x || q.x > all_.max_x || q.y < all_.min_y || q.y > all_.max_y) return UINT32_MAX;
    const auto c = static_cast<std::size_t>(cy(q.y) * nx_ + cx(q.x));
    std::uint32_t best = UINT32_MAX;
    for (std::uint32_t k = start_[c]; k < start_[c + 1]; ++k) {
      const std::uint32_t p = items_[k];
      const geo::BBox& b = boxes_[p];
      if (p < best && q.x >= b.min_x && q.x <= b.max_x && q.y >= b.min_y && q.y <= b.max_y && geo::contains(P_.shape[p], q)) best = p;
    }
    return best;
  }

 private:
  const city::Parcels& P_;
  std::vector<geo::BBox> boxes_;
  geo::BBox all_;
  double cell_ = 100;
  std::int64_t nx_ = 0, ny_ = 0;
  std::vector<std::uint32_t> start_, items_;
  std::int64_t cx(double x) const { return std::clamp<std::int64_t>(static_cast<std::int64_t>((x - all_.min_x) / cell_), 0, nx_ - 1); }
  std::int64_t cy(double y) const { return std::clamp<std::int64_t>(static_cast<std::int64_t>((y - all_.min_y) / cell_), 0, ny_ - 1); }
};

bool listed(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

double density_at(const city::DensityGrid& g, const geo::Point& q) {
  const double fx = (q.x - g.x0) / g.dx, fy = (g.y0 - q.y) / g.dy;
  if (!(fx >= 0 && fy >= 0)) return 0;
  const auto x = static_cast<std::size_t>(fx), y = static_cast<std::size_t>(fy);
  if (x >= g.nx || y >= g.ny) return 0;
  const float v = g.value[y * g.nx + x];
  return std::isfinite(v) && v > 0 ? static_cast<double>(v) : 0.0;
}

struct BuildingPoint {
  std::size_t building = 0;
  geo::Point xy;  // point on surface
  double weight = 0, footprint = 0;
};

// One block of parcels' points, generated independently and concatenated in parcel order.
struct Block {
  std::vector<std::uint32_t> count;  // per parcel of the block
  std::vector<geo::Point> xy;
  std::vector<double> weight;
  std::vector<Source> source;
  std::size_t from_buildings = 0, from_lattice = 0, on_surface = 0, in_water = 0, buildings_used = 0, too_sparse = 0;
  std::vector<std::int64_t> all_water;
};

}  // namespace

HomePoints generate(const city::City& c, const std::vector<std::uint8_t>& housing, const Params& prm) {
  const auto& P = c.parcels;
  const std::size_t np = P.size();
  HomePoints h;
  h.raster_weights = !c.density.empty();

  // Residential buildings, by the parcel their point on surface falls in.
  std::vector<std::vector<BuildingPoint>> in_parcel(np);
  if (!c.buildings.empty()) {
    const ParcelGrid grid(P);
    std::vector<std::uint32_t> owner(c.buildings.size(), UINT32_MAX);
    std::vector<geo::Point> where(c.buildings.size());
    tbb::parallel_for(std::size_t{0}, c.buildings.size(), [&](std::size_t b) {
      where[b] = geo::point_on_surface(c.buildings[b].shape);
      owner[b] = grid.find(where[b]);
    });
    for (std::size_t b = 0; b < c.buildings.size(); ++b) {
      const auto& bl = c.buildings[b];
      const std::uint32_t p = owner[b];
      const bool residential = listed(prm.residential_types, bl.type) ||
                               (listed(prm.generic_types, bl.type) && (p == UINT32_MAX || housing[p] != 0));
      if (!residential) continue;
      if (p == UINT32_MAX) {
        ++h.buildings_outside;
        continue;
      }
      const double levels = bl.levels > 0 ? bl.levels : prm.default_levels;
      in_parcel[p].push_back({b, where[b], bl.area_m2 * levels, bl.area_m2});
    }
  }
  // Water areas drop the lattice points that fall in them.
  std::vector<const geo::MultiPolygon*> water;
  std::vector<geo::BBox> water_box;
  for (const auto& b : c.barriers)
    if (!b.area.empty()) {
      water.push_back(&b.area);
      water_box.push_back(geo::bbox(b.area));
    }

  constexpr std::size_t kBlock = 512;
  const std::size_t nb = (np + kBlock - 1) / kBlock;
  std::vector<Block> blocks(nb);
  tbb::parallel_for(std::size_t{0}, nb, [&](std::size_t bi) {
    Block& B = blocks[bi];
    std::vector<geo::Point> pts;
    std::vector<const geo::MultiPolygon*> near;
    for (std::size_t p = bi * kBlock; p < std::min(np, (bi + 1) * kBlock); ++p) {
      const std::size_t before = B.xy.size();
      double footprint = 0;
      for (const auto& b : in_parcel[p]) footprint += b.footprint;
      if (!in_parcel[p].empty() && footprint >= prm.min_building_cover * P.area_m2[p]) {
        for (const auto& b : in_parcel[p]) {
          // A large footprint (a slab, a compound drawn as one outline) holds the lattice points
          // inside it, sharing the building's weight; a small one is one point.
          pts.clear();
          geo::lattice_points(c.buildings[b.building].shape, prm.spacing_m, pts);
          std::erase_if(pts, [&](const geo::Point& q) { return !geo::contains(P.shape[p], q); });  // never outside the parcel
          if (pts.empty()) pts.push_back(b.xy);
          const double w = (b.weight > 0 ? b.weight : 1.0) / static_cast<double>(pts.size());
          for (const auto& q : pts) {
            B.xy.push_back(q);
            B.weight.push_back(w);
            B.source.push_back(Source::building);
          }
        }
        ++B.from_buildings;
        B.buildings_used += in_parcel[p].size();
      } else {
        B.too_sparse += in_parcel[p].size();
        pts.clear();
        geo::lattice_points(P.shape[p], prm.spacing_m, pts);
        const geo::BBox pb = geo::bbox(P.shape[p]);
        near.clear();
        for (std::size_t w = 0; w < water.size(); ++w)
          if (overlaps(pb, water_box[w])) near.push_back(water[w]);
        const std::size_t generated = pts.size();
        if (!near.empty())
          std::erase_if(pts, [&](const geo::Point& q) {
            for (const auto* w : near)
              if (geo::contains(*w, q)) return true;
            return false;
          });
        B.in_water += generated - pts.size();
        if (pts.empty()) {
          if (generated > 0) B.all_water.push_back(P.id[p]);
          B.xy.push_back(geo::point_on_surface(P.shape[p]));
          B.weight.push_back(1.0);
          B.source.push_back(Source::surface);
          ++B.on_surface;
        } else {
          double sum = 0;
          const std::size_t first = B.weight.size();
          for (const auto& q : pts) {
            const double w = c.density.empty() ? 1.0 : density_at(c.density, q);
            B.xy.push_back(q);
            B.weight.push_back(w);
            B.source.push_back(Source::lattice);
            sum += w;
          }
          // A raster that puts no one anywhere in the parcel says nothing about where inside it.
          if (!(sum > 0)) std::fill(B.weight.begin() + static_cast<std::ptrdiff_t>(first), B.weight.end(), 1.0);
          ++B.from_lattice;
        }
      }
      B.count.push_back(static_cast<std::uint32_t>(B.xy.size() - before));
    }
  });
  h.offset.assign(np + 1, 0);
  std::size_t total = 0;
  for (const auto& B : blocks) total += B.xy.size();
  h.xy.reserve(total);
  h.weight.reserve(total);
  h.source.reserve(total);
  h.parcel.reserve(total);
  std::size_t p = 0;
  for (auto& B : blocks) {
    for (const std::uint32_t n : B.count) {
      h.offset[p + 1] = h.offset[p] + n;
      h.parcel.insert(h.parcel.end(), n, static_cast<std::uint32_t>(p));
      ++p;
    }
    h.xy.insert(h.xy.end(), B.xy.begin(), B.xy.end());
    h.weight.insert(h.weight.end(), B.weight.begin(), B.weight.end());
    h.source.insert(h.source.end(), B.source.begin(), B.source.end());
    h.parcels_from_buildings += B.from_buildings;
    h.parcels_from_lattice += B.from_lattice;
    h.parcels_on_surface += B.on_surface;
    h.lattice_in_water += B.in_water;
    h.buildings_used += B.buildings_used;
    h.buildings_too_sparse += B.too_sparse;
    h.parcels_all_water.insert(h.parcels_all_water.end(), B.all_water.begin(), B.all_water.end());
    B = Block{};
  }
  return h;
}

void spread(const HomePoints& h, const std::vector<std::uint32_t>& parcel_residents, std::vector<std::uint32_t>& out) {
  out.assign(h.size(), 0);
  const std::size_t np = h.parcels();
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, np, 1024), [&](const auto& r) {
    std::vector<std::pair<double, std::uint32_t>> rest;  // (fractional part, point)
    for (std::size_t p = r.begin(); p != r.end(); ++p) {
      const std::uint32_t a = h.offset[p], b = h.offset[p + 1];
      const std::uint32_t R = p < parcel_residents.size() ? parcel_residents[p] : 0;
      if (a == b || R == 0) continue;
      if (b - a == 1) {
        out[a] = R;
        continue;
      }
      double W = 0;
      for (std::uint32_t i = a; i < b; ++i) W += h.weight[i];
      std::uint64_t given = 0;
      rest.clear();
      for (std::uint32_t i = a; i < b; ++i) {
        const double q = static_cast<double>(R) * h.weight[i] / W;
        const auto whole = static_cast<std::uint32_t>(std::min(std::floor(q), static_cast<double>(R)));
        out[i] = whole;
        given += whole;
        rest.emplace_back(q - whole, i);
      }
      // The remaining residents go to the largest fractional parts, earlier points first on ties.
      std::sort(rest.begin(), rest.end(), [](const auto& x, const auto& y) { return x.first > y.first || (x.first == y.first && x.second < y.second); });
      for (std::size_t k = 0; given < R; k = (k + 1) % rest.size(), ++given) ++out[rest[k].second];
    }
  });
}

}  // namespace ut::homes
