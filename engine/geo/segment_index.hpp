#pragma once
// Uniform-grid index over straight segments, for "nearest usable segment to a point" queries
// (entry points of parcels and facilities on the graph).
#include <cstdint>
#include <vector>

#include "geo/geometry.hpp"

namespace ut::geo {

struct NearestSegment {
  std::uint32_t segment = UINT32_MAX;  // UINT32_MAX: none within the search radius
  double t = 0;                        // position along the segment, 0..1
  double distance = 0;                 // metres from the query point to the segment
};

class SegmentIndex {
 public:
  // a[i]-b[i] is segment i. cell: grid cell size in metres.
  SegmentIndex(std::vector<Point> a, std::vector<Point> b, double cell);
  // Nearest segment within max_distance; ties broken by the lower segment index (deterministic).
  NearestSegment nearest(const Point& p, double max_distance) const;
  std::size_t size() const { return a_.size(); }
  // Most grid cells an index may have (std::length_error beyond: 400 MB of cell offsets).
  static constexpr double kMaxCells = 1e8;

 private:
  std::vector<Point> a_, b_;
  BBox box_;
  double cell_;
  std::int64_t nx_ = 0, ny_ = 0;
  std::vector<std::uint32_t> cell_start_;  // CSR over cells
  std::vector<std::uint32_t> cell_items_;
  std::int64_t cx(double x) const;
  std::int64_t cy(double y) const;
};

}  // namespace ut::geo
