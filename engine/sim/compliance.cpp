#include "sim/compliance.hpp"

#include <fmt/format.h>

#include <set>
#include <string>

namespace ut::sim {

const char* status_name(ComplianceStatus s) {
  switch (s) {
    case ComplianceStatus::pass:
      return "pass";
    case ComplianceStatus::fail:
      return "fail";
    case ComplianceStatus::no_data:
      return "no data";
  }
  return "?";
}

bool indicator_is_count(const std::string& name) {
  static const std::set<std::string> counts = {"year", "population", "households", "unplaced_households", "dwelling_units",
                                               "births", "deaths", "net_migration", "movers", "school_seat_balance"};
  return counts.count(name) > 0;
}

bool indicator_is_diagnostic(const std::string& name) { return name == "assignment_relative_gap"; }

std::string written_text(const std::string& name, double v) {
  if (indicator_is_count(name)) return fmt::format("{:.0f}", v);
  if (indicator_is_diagnostic(name)) return fmt::format("{:.6g}", v);
  return fmt::format("{:.6f}", v);
}

double written_value(const std::string& name, double v) { return std::stod(written_text(name, v)); }

std::vector<ComplianceRow> evaluate_compliance(const std::vector<scenario::ComplianceNorm>& norms, int year,
                                               const std::vector<Indicator>& indicators) {
  std::vector<ComplianceRow> out;
  out.reserve(norms.size());
  for (const auto& n : norms) {
    ComplianceRow row{year, &n, std::nullopt, ComplianceStatus::no_data};
    for (const auto& ind : indicators)
      if (ind.name == n.indicator && ind.value) {
        const double v = written_value(ind.name, *ind.value);
        bool ok = false;
        switch (n.op) {
          case scenario::CompareOp::ge:
            ok = v >= n.target;
            break;
          case scenario::CompareOp::le:
            ok = v <= n.target;
            break;
          case scenario::CompareOp::gt:
            ok = v > n.target;
            break;
          case scenario::CompareOp::lt:
            ok = v < n.target;
            break;
        }
        row.value = v;
        row.status = ok ? ComplianceStatus::pass : ComplianceStatus::fail;
        break;
      }
    out.push_back(row);
  }
  return out;
}

}  // namespace ut::sim
