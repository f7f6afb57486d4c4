#include "core/error.hpp"

#include <fmt/format.h>

namespace ut::core {

std::string describe(const Where& where) {
  std::string out = where.file;
  if (!where.layer_or_line.empty()) out += ": " + where.layer_or_line;
  if (!where.feature_or_key.empty()) out += ": " + where.feature_or_key;
  return out;
}

InputError::InputError(const Where& where, const std::string& rule, const std::string& value)
    : std::runtime_error(value.empty() ? fmt::format("{}: {}", describe(where), rule)
                                       : fmt::format("{}: {} (got {})", describe(where), rule, value)) {}

}  // namespace ut::core
