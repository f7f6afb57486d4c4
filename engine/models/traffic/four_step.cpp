#include "models/traffic/four_step.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ut::traffic {

TripMatrices distribute_and_split(const std::vector<double>& prod, const std::vector<double>& attr_in,
                                  const std::vector<double>& greenway, const Skims& sk, const ModeParams& p) {
  const std::uint32_t z = sk.zones;
  const std::size_t zz = static_cast<std::size_t>(z) * z;
  TripMatrices out;
  out.zones = z;
  double sp = 0, sa = 0;
  for (std::uint32_t i = 0; i < z; ++i) {
    sp += prod[i];
    sa += attr_in[i];
  }
  std::vector<double> attr(z, 0.0);
  if (sa > 0)
    for (std::uint32_t j = 0; j < z; ++j) attr[j] = attr_in[j] * sp / sa;
  // Mode utilities (exponentiated) and the deterrence f_ij = their sum.
  std::vector<double> ex[kModes];
  for (auto& e : ex) e.assign(zz, 0.0);
  std::vector<double> f(zz, 0.0);
  for (std::uint32_t i = 0; i < z; ++i)
    for (std::uint32_t j = 0; j < z; ++j) {
      const std::size_t k = static_cast<std::size_t>(i) * z + j;
      const double tc = sk.minutes[kCar][k], tt = sk.minutes[kTransit][k], tw = sk.minutes[kWalkBike][k];
      if (std::isfinite(tc)) ex[kCar][k] = std::exp(p.asc_car + p.beta_time * (tc + p.car_terminal_min));
      if (std::isfinite(tt)) ex[kTransit][k] = std::exp(p.asc_transit + p.beta_time * tt);
      if (std::isfinite(tw)) ex[kWalkBike][k] = std::exp(p.beta_time * tw + p.beta_greenway * greenway[i]);
      f[k] = ex[kCar][k] + ex[kTransit][k] + ex[kWalkBike][k];
    }
  // Furness balancing: alternate row and column factors until both margins hold.
  std::vector<double> a(z, 1.0), b(z, 1.0), col(z);
  double err = 0;
  int it = 0;
  for (; it < 500; ++it) {
    for (std::uint32_t i = 0; i < z; ++i) {
      double s = 0;
      for (std::uint32_t j = 0; j < z; ++j) s += b[j] * attr[j] * f[static_cast<std::size_t>(i) * z + j];
      a[i] = s > 0 ? 1.0 / s : 0.0;
    }
    std::fill(col.begin(), col.end(), 0.0);
    for (std::uint32_t i = 0; i < z; ++i)
      for (std::uint32_t j = 0; j < z; ++j) col[j] += a[i] * prod[i] * f[static_cast<std::size_t>(i) * z + j];
    err = 0;
    for (std::uint32_t j = 0; j < z; ++j) {
      const double nb = col[j] > 0 ? 1.0 / col[j] : 0.0;
      if (attr[j] > 0) err = std::max(err, std::abs(b[j] * col[j] - 1.0));
      b[j] = nb;
    }
    if (err < 1e-10) break;
  }
  out.furness_iterations = it + 1;
  out.furness_error = err;
  for (auto& t : out.trips) t.assign(zz, 0.0);
  for (std::uint32_t i = 0; i < z; ++i)
    for (std::uint32_t j = 0; j < z; ++j) {
      const std::size_t k = static_cast<std::size_t>(i) * z + j;
      if (f[k] <= 0) continue;
      const double t = a[i] * prod[i] * b[j] * attr[j] * f[k];
      for (int m = 0; m < kModes; ++m) out.trips[m][k] = t * ex[m][k] / f[k];
    }
  return out;
}

}  // namespace ut::traffic
