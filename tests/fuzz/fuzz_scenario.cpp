// libFuzzer target: the scenario loader, through the function the CLI calls
// (ut::scenario::load_scenario on a file path), so guards in the loader cover what it finds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.hpp"
#include "scenario/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = ut::fuzz::scratch().write("scenario.toml", {reinterpret_cast<const char*>(data), size});
  ut::fuzz::expect_input_errors_only([&] { (void)ut::scenario::load_scenario(file); });
  return 0;
}
