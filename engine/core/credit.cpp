#include "core/credit.hpp"

namespace ut::core {

Credit make_credit(bool osm, const std::vector<std::string>& others) {
  Credit r;
  r.osm = osm;
  if (osm) r.text = kOsmCredit;
  for (const auto& a : others) {
    if (a.empty()) continue;
    bool seen = false;
    for (const auto& b : r.others) seen = seen || b.find(a) != std::string::npos;
    if (seen) continue;
    r.others.push_back(a);
    r.text += (r.text.empty() ? "" : " ") + a;
  }
  if (r.text.empty()) {  // nothing declared at all: OpenStreetMap's, as a source that declares none
    r.osm = true;
    r.text = kOsmCredit;
  }
  r.license = r.osm ? kOsmLicense : "As the input data's credit (ATTRIBUTION.txt)";
  if (r.osm && !r.others.empty()) r.license += "; the other sources' terms as credited";
  return r;
}

Credit recorded_credit(const std::optional<std::string>& attribution) {
  if (!attribution || attribution->empty()) return make_credit(true, {});
  const std::string osm = kOsmCredit;
  if (attribution->rfind(osm, 0) != 0) return make_credit(false, {*attribution});
  std::string rest = attribution->substr(osm.size());
  while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
  return make_credit(true, {rest});
}

Credit credit_union(const std::vector<Credit>& parts) {
  bool osm = parts.empty();
  std::vector<std::string> others;
  for (const auto& p : parts) {
    osm = osm || p.osm;
    others.insert(others.end(), p.others.begin(), p.others.end());
  }
  return make_credit(osm, others);
}

}  // namespace ut::core
