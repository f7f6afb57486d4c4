#include "geo/segment_index.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ut::geo {

SegmentIndex::SegmentIndex(std::vector<Point> a, std::vector<Point> b, double cell)
    : a_(std::move(a)), b_(std::move(b)), cell_(cell) {
  for (std::size_t i = 0; i < a_.size(); ++i) {
    box_.add(a_[i]);
    box_.add(b_[i]);
  }
  if (box_.empty()) return;
  // Inputs are validated (finite, within limits::kMaxExtentM): a grid beyond that is a bug, not
  // something to allocate.
  const double fx = (box_.max_x - box_.min_x) / cell_ + 1, fy = (box_.max_y - box_.min_y) / cell_ + 1;
  if (!(cell_ > 0) || !std::isfinite(fx) || !std::isfinite(fy) || fx * fy > kMaxCells)
    throw std::length_error(
        fmt::format("segment index: {} x {} cells of {} m exceed {} cells", fx, fy, cell_, kMaxCells));
  nx_ = static_cast<std::int64_t>(fx);
  ny_ = static_cast<std::int64_t>(fy);
  std::vector<std::uint32_t> count(static_cast<std::size_t>(nx_ * ny_) + 1, 0);
  auto visit = [&](std::size_t i, auto&& f) {
    const std::int64_t x0 = cx(std::min(a_[i].x, b_[i].x)), x1 = cx(std::max(a_[i].x, b_[i].x));
    const std::int64_t y0 = cy(std::min(a_[i].y, b_[i].y)), y1 = cy(std::max(a_[i].y, b_[i].y));
    for (std::int64_t y = y0; y <= y1; ++y)
      for (std::int64_t x = x0; x <= x1; ++x) f(static_cast<std::size_t>(y * nx_ + x));
  };
  for (std::size_t i = 0; i < a_.size(); ++i) visit(i, [&](std::size_t c) { ++count[c + 1]; });
  for (std::size_t c = 1; c < count.size(); ++c) count[c] += count[c - 1];
  cell_start_ = count;
  cell_items_.resize(count.back());
  std::vector<std::uint32_t> fill(count.begin(), count.end() - 1);
  for (std::size_t i = 0; i < a_.size(); ++i)
    visit(i, [&](std::size_t c) { cell_items_[fill[c]++] = static_cast<std::uint32_t>(i); });
}

std::int64_t SegmentIndex::cx(double x) const {
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((x - box_.min_x) / cell_)), 0, nx_ - 1);
}
std::int64_t SegmentIndex::cy(double y) const {
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((y - box_.min_y) / cell_)), 0, ny_ - 1);
}

NearestSegment SegmentIndex::nearest(const Point& p, double max_distance) const {
  NearestSegment best;
  if (a_.empty()) return best;
  double best_d = max_distance;
  // A segment whose squared distance (cheap) exceeds best_d^2 by far more than its rounding is
  // certainly farther than best_d by std::hypot (within an ulp of the exact distance), so it is
  // skipped without one: the answer is the one hypot for every segment gives, ties included.
  double skip2 = best_d * best_d * (1 + 1e-9);
  const std::int64_t x0 = cx(p.x - max_distance), x1 = cx(p.x + max_distance);
  const std::int64_t y0 = cy(p.y - max_distance), y1 = cy(p.y + max_distance);
  for (std::int64_t y = y0; y <= y1; ++y) {
    for (std::int64_t x = x0; x <= x1; ++x) {
      const auto c = static_cast<std::size_t>(y * nx_ + x);
      for (std::uint32_t k = cell_start_[c]; k < cell_start_[c + 1]; ++k) {
        const std::uint32_t s = cell_items_[k];
        const double t = project_on_segment(p, a_[s], b_[s]);
        const Point q{a_[s].x + t * (b_[s].x - a_[s].x), a_[s].y + t * (b_[s].y - a_[s].y)};
        const double ex = p.x - q.x, ey = p.y - q.y;
        if (ex * ex + ey * ey > skip2) continue;
        const double d = distance(p, q);
        if (d < best_d || (d == best_d && s < best.segment)) {
          best_d = d;
          best = {s, t, d};
          skip2 = best_d * best_d * (1 + 1e-9);
        }
      }
    }
  }
  return best;
}

bool SegmentIndex::any_crossing(const Point& a, const Point& b) const {
  if (a_.empty()) return false;
  const double lx = std::min(a.x, b.x), hx = std::max(a.x, b.x), ly = std::min(a.y, b.y), hy = std::max(a.y, b.y);
  if (hx < box_.min_x || lx > box_.max_x || hy < box_.min_y || ly > box_.max_y) return false;
  for (std::int64_t y = cy(ly); y <= cy(hy); ++y)
    for (std::int64_t x = cx(lx); x <= cx(hx); ++x) {
      const auto c = static_cast<std::size_t>(y * nx_ + x);
      for (std::uint32_t k = cell_start_[c]; k < cell_start_[c + 1]; ++k) {
        const std::uint32_t s = cell_items_[k];
        if (segments_cross(a, b, a_[s], b_[s])) return true;
      }
    }
  return false;
}

}  // namespace ut::geo
