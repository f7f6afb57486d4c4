#pragma once
// Errors that cross module boundaries. InputError means "the user's input is wrong" and maps to
// exit code 2; anything else escaping to main is an internal error (exit code 1).
#include <stdexcept>
#include <string>

namespace ut::core {

// Where a problem sits in the input: the file, then the layer or line, then the feature or key.
struct Where {
  std::string file;
  std::string layer_or_line;   // "layer parcels", "line 12"; empty when not applicable
  std::string feature_or_key;  // "feature 17", "key layers.roads.source"; empty when not applicable
};

class InputError : public std::runtime_error {
 public:
  // rule: what the input must satisfy; value: the offending value as the user wrote it.
  InputError(const Where& where, const std::string& rule, const std::string& value);
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

std::string describe(const Where& where);

}  // namespace ut::core
