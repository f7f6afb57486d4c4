#pragma once
// `urbantwin run` and `urbantwin validate`.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/common.hpp"

namespace ut::app {

struct RunArgs {
  std::filesystem::path scenario;
  std::filesystem::path out;
  unsigned threads = 0;
  int until = 0;  // 0: the scenario's end_year
  bool overwrite = false;
  std::optional<std::string> seed;  // --seed N
  std::vector<std::string> set;     // --set KEY=VALUE, in order
  std::string keep = "full";        // --keep indicators|parcels|full
  Common common;
};

// write false: `validate` (check the scenario and its layers, build the networks, run nothing).
int cmd_run(const RunArgs& a, bool write);

}  // namespace ut::app
