#include "sim/access.hpp"

#include <algorithm>

#include "graph/graph.hpp"
#include "sim/simulation.hpp"

namespace ut::sim {

std::vector<std::vector<std::uint8_t>> within_threshold(const std::vector<scenario::Norm>& norms, const coverage::Result& r) {
  std::vector<std::vector<std::uint8_t>> out(norms.size());
  for (std::size_t k = 0; k < norms.size() && k < r.classes.size(); ++k) {
    const std::uint32_t t = Simulation::threshold(norms[k]);
    const auto& cost = r.classes[k].cost;
    out[k].resize(cost.size());
    for (std::size_t p = 0; p < cost.size(); ++p) out[k][p] = cost[p] != graph::kUnreached && cost[p] <= t;
  }
  return out;
}

Tiers tier_flags(const std::vector<scenario::Norm>& norms, const std::vector<std::vector<std::uint8_t>>& within,
                 const std::vector<std::size_t>& sites, std::size_t parcels) {  // parcels: points
  Tiers t;
  for (int i = 0; i < 3; ++i) {
    auto& ok = t.ok[static_cast<std::size_t>(i)];
    ok.assign(parcels, 1);
    for (std::size_t k = 0; k < norms.size(); ++k) {
      if (norms[k].tier != kTierMinutes[i] || k >= sites.size() || sites[k] == 0) continue;
      t.has_data[static_cast<std::size_t>(i)] = true;
      for (std::size_t p = 0; p < parcels; ++p) ok[p] &= within[k][p];
    }
    if (!t.has_data[static_cast<std::size_t>(i)]) ok.assign(parcels, 0);
  }
  return t;
}

namespace {
// The weights of parcel p's points: residents, or the fixed point weights when it has none.
template <class F>
void for_weights(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents, std::size_t p, F&& f) {
  std::uint64_t total = 0;
  for (std::uint32_t i = h.offset[p]; i < h.offset[p + 1]; ++i) total += residents[i];
  for (std::uint32_t i = h.offset[p]; i < h.offset[p + 1]; ++i)
    f(i, total > 0 ? static_cast<double>(residents[i]) : h.weight[i]);
}
}  // namespace

std::vector<double> parcel_share(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                 const std::vector<std::uint8_t>& ok, std::vector<std::uint32_t>* served) {
  const std::size_t np = h.parcels();
  std::vector<double> share(np, 0.0);
  if (served) served->assign(np, 0);
  for (std::size_t p = 0; p < np; ++p) {
    double w = 0, in = 0;
    std::uint32_t s = 0;
    for_weights(h, residents, p, [&](std::uint32_t i, double wi) {
      w += wi;
      if (ok[i]) {
        in += wi;
        s += residents[i];
      }
    });
    share[p] = w > 0 ? in / w : 0.0;
    if (served) (*served)[p] = s;
  }
  return share;
}

std::vector<std::uint32_t> parcel_median(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                         const std::vector<std::uint32_t>& cost) {
  const std::size_t np = h.parcels();
  std::vector<std::uint32_t> out(np, graph::kUnreached);
  std::vector<std::pair<std::uint32_t, double>> cw;
  for (std::size_t p = 0; p < np; ++p) {
    cw.clear();
    double total = 0;
    for_weights(h, residents, p, [&](std::uint32_t i, double wi) {
      cw.emplace_back(cost[i], wi);
      total += wi;
    });
    if (cw.empty()) continue;
    std::sort(cw.begin(), cw.end());
    double acc = 0;
    for (const auto& [c, wi] : cw) {
      acc += wi;
      if (acc >= total / 2) {
        out[p] = c;
        break;
      }
    }
  }
  return out;
}

std::vector<double> parcel_mean(const homes::HomePoints& h, const std::vector<std::uint32_t>& residents,
                                const std::vector<double>& value) {
  const std::size_t np = h.parcels();
  std::vector<double> out(np, 0.0);
  for (std::size_t p = 0; p < np; ++p) {
    double w = 0, s = 0;
    for_weights(h, residents, p, [&](std::uint32_t i, double wi) {
      w += wi;
      s += wi * value[i];
    });
    out[p] = w > 0 ? s / w : 0.0;
  }
  return out;
}

}  // namespace ut::sim
