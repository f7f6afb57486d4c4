#include "core/error.hpp"

#include <fmt/format.h>

namespace ut::core {

std::string describe(const Where& where) {
  std::string out = where.file;
  if (!where.layer_or_line.empty()) out += ": " + where.layer_or_line;
  if (!where.feature_or_key.empty()) out += ": " + where.feature_or_key;
  return out;
}

namespace {

// A message is one line: control characters of a bad value are shown escaped.
std::string one_line(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else out += c;
  }
  return out;
}

}  // namespace

InputError::InputError(const Where& where, const std::string& rule, const std::string& value)
    : std::runtime_error(value.empty() ? fmt::format("{}: {}", one_line(describe(where)), rule)
                                       : fmt::format("{}: {} (got {})", one_line(describe(where)), rule, one_line(value))) {}

}  // namespace ut::core
