#pragma once
#include "city/city.hpp"
#include "scenario/scenario.hpp"

namespace ut::gis_io {

// Reads the scenario's layers with GDAL/OGR, validates every feature, reprojects to the
// scenario's metric CRS (or the UTM zone of the parcels) and resolves the scenario's
// interventions (each feature tagged with its years, ids checked). Throws core::InputError
// naming the file, layer, feature and rule.
city::City load_city(const scenario::Scenario& s);

}  // namespace ut::gis_io
