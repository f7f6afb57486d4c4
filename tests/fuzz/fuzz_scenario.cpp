// libFuzzer target: the scenario loader, through the function the CLI calls
// (ut::scenario::load_scenario on a file path), so guards in the loader cover what it finds.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "scenario/scenario.hpp"

// Every scenario names a city profile, read before the tables after it: the bundled Chengdu
// profile lies next to the input as profile.toml, so a corpus entry with
// `profile = "profile.toml"` reaches the rest of the loader. Its standards file ([norms] file,
// relative to the profile) is named by its absolute path in the copy.
static void write_profile() {
  std::ifstream in(UT_SOURCE_DIR "/gis-data/chengdu-center/profile.toml", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string rel = "file = \"../norms/";
  if (const auto at = text.find(rel); at != std::string::npos)
    text.replace(at, rel.size(), "file = \"" UT_SOURCE_DIR "/gis-data/norms/");
  ut::fuzz::scratch().write("profile.toml", text);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool profile_written = (write_profile(), true);
  (void)profile_written;
  const auto file = ut::fuzz::scratch().write("scenario.toml", {reinterpret_cast<const char*>(data), size});
  ut::fuzz::expect_input_errors_only([&] { (void)ut::scenario::load_scenario(file); });
  return 0;
}
