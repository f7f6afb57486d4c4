#pragma once
// Norms compliance of a year (docs/compliance.md): each of the profile's [[compliance]] norms set
// against the year's value of its indicator.
#include <optional>
#include <string>
#include <vector>

#include "scenario/profile.hpp"
#include "sim/simulation.hpp"

namespace ut::sim {

enum class ComplianceStatus { pass, fail, no_data };
const char* status_name(ComplianceStatus s);  // "pass", "fail", "no data"

struct ComplianceRow {
  int year = 0;
  const scenario::ComplianceNorm* norm = nullptr;  // into the profile's compliance table
  std::optional<double> value;                     // as written to indicators.csv; nullopt: no data
  ComplianceStatus status = ComplianceStatus::no_data;
};

// How indicators.csv writes an indicator: counts (population, households, births, ...) as whole
// numbers; the solver's convergence (assignment_relative_gap: a diagnostic of the run, not an
// effect of a scenario) to 6 significant digits, since it is 1e-6 or smaller; every other value to
// 6 decimals.
bool indicator_is_count(const std::string& name);
bool indicator_is_diagnostic(const std::string& name);

// The indicator's cell of indicators.csv (the rule above); and the value a norm is judged on,
// that cell read back, so that the status can be checked from the files alone.
std::string written_text(const std::string& name, double v);
double written_value(const std::string& name, double v);

// One row per norm, in the profile's order. An indicator the year lacks, or without a value, is
// no data (never pass or fail).
std::vector<ComplianceRow> evaluate_compliance(const std::vector<scenario::ComplianceNorm>& norms, int year,
                                               const std::vector<Indicator>& indicators);

}  // namespace ut::sim
