#pragma once
// `urbantwin prepare-osm`: the input layers of a city from an OpenStreetMap extract.
#include "app/common.hpp"
#include "gis_io/prepare_osm.hpp"

namespace ut::app {

struct PrepareArgs {
  gis_io::PrepareOptions options;
  bool overwrite = false;
  Common common;
};

int cmd_prepare_osm(PrepareArgs& a);

}  // namespace ut::app
