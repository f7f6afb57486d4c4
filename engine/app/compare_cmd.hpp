#pragma once
#include <filesystem>

namespace ut::app {

struct CompareArgs {
  std::filesystem::path a, b, out;
  bool quiet = false;
  bool overwrite = false;
};

// `urbantwin compare RUN_A RUN_B [--out DIR]`: writes the differences B - A and prints a summary.
int cmd_compare(const CompareArgs& args);

}  // namespace ut::app
