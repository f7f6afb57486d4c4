#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/common.hpp"

namespace ut::app {

struct SiteSelectArgs {
  std::filesystem::path scenario, out;
  std::string cls;
  long long count = 0;
  std::string candidates = "parcels";  // "parcels" or FILE[:LAYER]
  std::string objective = "coverage";  // "coverage" or "supply"
  int year = 0;                        // 0: the base year
  unsigned threads = 0;
  Common common;  // -q/--quiet, --progress, --version
  bool overwrite = false;
  std::optional<std::string> seed;
  std::vector<std::string> set;
};

// `urbantwin site-select SCENARIO --class C --count K --out DIR [--objective coverage|supply]`:
// where K new sites of class C serve the most residents not yet served, or bring the most
// residents' 2SFCA supply up to the city's norm (docs/site-select.md).
int cmd_site_select(const SiteSelectArgs& a);

}  // namespace ut::app
