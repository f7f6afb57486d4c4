#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "app/common.hpp"

namespace ut::app {

struct BatchArgs {
  std::filesystem::path study, out;
  unsigned jobs = 0;  // 0: cores / threads_per_job
  unsigned threads_per_job = 1;
  bool retry_failed = false;
  std::string shard;  // I/N
  std::optional<int> seeds, until;
  bool summarize = false;
  Common common;
};

// `urbantwin batch STUDY.toml`: runs what is missing, then writes the study's tables.
int cmd_batch(const BatchArgs& args);

}  // namespace ut::app
