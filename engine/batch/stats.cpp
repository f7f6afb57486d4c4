#include "batch/stats.hpp"

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ut::batch {

double t975(double df) {
  if (!(df > 0)) throw std::invalid_argument("t975: degrees of freedom must be > 0");
  return boost::math::quantile(boost::math::students_t_distribution<double>(df), 0.975);
}

namespace {
// Mean and sample standard deviation (n - 1) of xs, two passes (no cancellation).
void moments(const std::vector<double>& xs, double& mean, double& sd) {
  double s = 0;
  for (double x : xs) s += x;
  mean = s / static_cast<double>(xs.size());
  if (xs.size() < 2) {
    sd = 0;
    return;
  }
  double ss = 0;
  for (double x : xs) ss += (x - mean) * (x - mean);
  sd = std::sqrt(ss / static_cast<double>(xs.size() - 1));
}
}  // namespace

Summary summarize(const std::vector<std::optional<double>>& values) {
  std::vector<double> xs;
  for (const auto& v : values)
    if (v) xs.push_back(*v);
  Summary s;
  s.n = xs.size();
  if (xs.empty()) return s;
  moments(xs, s.mean, s.sd);
  s.min = *std::min_element(xs.begin(), xs.end());
  s.max = *std::max_element(xs.begin(), xs.end());
  if (s.n >= 2) {
    const double h = t975(static_cast<double>(s.n - 1)) * s.sd / std::sqrt(static_cast<double>(s.n));
    s.ci_low = s.mean - h;
    s.ci_high = s.mean + h;
  }
  return s;
}

Difference difference(const std::vector<std::optional<double>>& a, const std::vector<std::optional<double>>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("difference: the two arms must be paired (same length)");
  std::vector<double> d, xa, xb;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i]) xa.push_back(*a[i]);
    if (b[i]) xb.push_back(*b[i]);
    if (a[i] && b[i]) d.push_back(*b[i] - *a[i]);
  }
  Difference r;
  r.n = d.size();
  if (!d.empty()) moments(d, r.mean, r.sd);
  if (r.n >= 2) {
    const double h = t975(static_cast<double>(r.n - 1)) * r.sd / std::sqrt(static_cast<double>(r.n));
    r.ci_low = r.mean - h;
    r.ci_high = r.mean + h;
    r.distinguishable = *r.ci_low > 0 || *r.ci_high < 0;
  }
  if (xa.size() >= 2 && xb.size() >= 2) {
    double ma = 0, sa = 0, mb = 0, sb = 0;
    moments(xa, ma, sa);
    moments(xb, mb, sb);
    const double na = static_cast<double>(xa.size()), nb = static_cast<double>(xb.size());
    const double va = sa * sa / na, vb = sb * sb / nb, se2 = va + vb;
    const double diff = mb - ma;
    if (se2 == 0) {
      r.unpaired_low = r.unpaired_high = diff;
    } else {
      // Welch-Satterthwaite degrees of freedom.
      const double df = se2 * se2 / (va * va / (na - 1) + vb * vb / (nb - 1));
      const double h = t975(df) * std::sqrt(se2);
      r.unpaired_low = diff - h;
      r.unpaired_high = diff + h;
    }
  }
  return r;
}

}  // namespace ut::batch
