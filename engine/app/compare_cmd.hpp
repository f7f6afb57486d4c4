#pragma once
#include <filesystem>

#include "app/common.hpp"

namespace ut::app {

struct CompareArgs {
  std::filesystem::path a, b, out;
  std::filesystem::path study;  // --study DIR: a and b are variants of that study
  bool overwrite = false;
  Common common;
};

// `urbantwin compare RUN_A RUN_B [--out DIR]`: writes the differences B - A and prints a summary.
// With --study DIR: the differences of two variants of a study, paired by seed, with 95 %
// intervals; changes within noise marked.
int cmd_compare(const CompareArgs& args);

}  // namespace ut::app
