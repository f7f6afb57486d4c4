// libFuzzer target: prepare-osm's OSM input (ut::gis_io::prepare_osm, what `urbantwin prepare-osm`
// calls) on an OSM XML file, writing a GeoPackage into the scratch folder that is removed after
// every input.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "fuzz_common.hpp"
#include "gis_io/prepare_osm.hpp"

namespace {
// A complete [prepare_osm] profile (the numbers of gis-data/generic/profile.toml, shortened).
constexpr const char* kProfile = R"([prepare_osm]
[prepare_osm.land_use.residential]
far = 1.8
residential_share = 1.0
source = "fuzz"
[prepare_osm.land_use.mixed]
far = 1.5
residential_share = 0.6
source = "fuzz"
[prepare_osm.land_use.commercial]
far = 2.5
residential_share = 0.1
source = "fuzz"
[prepare_osm.land_use.education]
far = 0.8
residential_share = 0.05
source = "fuzz"
[prepare_osm.land_use.health]
far = 1.2
residential_share = 0
source = "fuzz"
[prepare_osm.land_use.industrial]
far = 1.0
residential_share = 0
source = "fuzz"
[prepare_osm.land_use.transport]
far = 0.3
residential_share = 0
source = "fuzz"
[prepare_osm.land_use.park]
far = 0.02
residential_share = 0
source = "fuzz"
[prepare_osm.land_use.construction]
far = 0
residential_share = 0
source = "fuzz"
[prepare_osm.land_use.other]
far = 1.0
residential_share = 0.3
source = "fuzz"
[prepare_osm.schools]
unknown_level = ["primary_school"]
source = "fuzz"
[[prepare_osm.names]]
amenity = "school"
contains = ["Lyc"]
classes = ["high_school"]
source = "fuzz"
[prepare_osm.greenways]
river_buffer_m = 100
rivers = ["*"]
park_share = 0.5
source = "fuzz"
[prepare_osm.facilities]
classes = ["kindergarten", "primary_school", "middle_school", "health", "elderly_care", "fire_station", "metro", "park", "green_space"]
source = "fuzz"
)";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& s = ut::fuzz::scratch();
  const auto out_dir = s.dir() / "out";
  std::error_code ec;
  std::filesystem::remove_all(out_dir, ec);
  std::filesystem::create_directories(out_dir);
  ut::gis_io::PrepareOptions opt;
  opt.osm = s.write("input.osm", {reinterpret_cast<const char*>(data), size});
  opt.out = out_dir / "prepared.gpkg";
  static const std::filesystem::path profile = s.write("profile.toml", kProfile);
  opt.profile = profile;
  opt.residents = 1000;  // the OSM input is fuzzed, not the residents evidence
  ut::fuzz::expect_input_errors_only([&] { (void)ut::gis_io::prepare_osm(opt); });
  std::filesystem::remove_all(out_dir, ec);
  return 0;
}
