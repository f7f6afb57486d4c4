#pragma once
// Reading [norms.<class>] override tables (city profile, scenario) with the standards file's
// field rules. Internal to the scenario module.
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "scenario/norms.hpp"
#include "scenario/toml_read.hpp"

namespace ut::scenario::detail {

// Who overrides: the city profile (every key it sets needs a source, `source` or `source_of.KEY`;
// no default_capacity, which is its [facility_capacity]) or the scenario (norm_keys(), no sources).
enum class NormLayer { profile, scenario };

// The [norms] table `norms`: every key but `other_keys` names a class of `out` (the nearest
// suggested) and is a table setting some of its fields, checked as in a standards file.
void override_norms(const Reader& r, const toml::table& norms, const std::vector<std::string>& other_keys,
                    NormLayer layer, std::vector<Norm>& out);

}  // namespace ut::scenario::detail
