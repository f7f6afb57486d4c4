#pragma once
// `urbantwin assign`: user-equilibrium assignment of a TNTP network and trip table.
#include <filesystem>
#include <string>

#include "app/common.hpp"

namespace ut::app {

struct AssignArgs {
  std::filesystem::path net, trips, flows_out;
  double gap = 1e-4;
  int max_iter = 200;
  int flow_batch = -1;  // Algorithm B: traffic::Options::flow_batch
  double toll_factor = 0, distance_factor = 0;
  std::string algorithm = "b";
  unsigned threads = 0;
  Common common;
  bool overwrite = false;  // replace an earlier --flows-out file
  bool strict = false;     // every warning of the TNTP reader is an error (exit 2)
};

int cmd_assign(const AssignArgs& a);

}  // namespace ut::app
