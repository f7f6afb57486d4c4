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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& s = ut::fuzz::scratch();
  const auto out_dir = s.dir() / "out";
  std::error_code ec;
  std::filesystem::remove_all(out_dir, ec);
  std::filesystem::create_directories(out_dir);
  ut::gis_io::PrepareOptions opt;
  opt.osm = s.write("input.osm", {reinterpret_cast<const char*>(data), size});
  opt.out = out_dir / "prepared.gpkg";
  ut::fuzz::expect_input_errors_only([&] { (void)ut::gis_io::prepare_osm(opt); });
  std::filesystem::remove_all(out_dir, ec);
  return 0;
}
