// libFuzzer target: the TNTP reader (what `urbantwin assign --net --trips` reads, with and without
// --strict). The input is a net file, optionally followed by a line `<<<TRIPS>>>` and a trip table
// read against that net.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.hpp"
#include "tntp/tntp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSplit = "\n<<<TRIPS>>>\n";
  const std::size_t at = in.find(kSplit);
  const auto& s = ut::fuzz::scratch();
  const auto net_file = s.write("fuzz_net.tntp", in.substr(0, at));
  const bool has_trips = at != std::string_view::npos;
  const auto trips_file = s.write("fuzz_trips.tntp", has_trips ? in.substr(at + kSplit.size()) : std::string_view());
  // Both modes of `urbantwin assign`: the default (what tap-b accepts with warnings) and --strict.
  for (const bool strict : {false, true})
    ut::fuzz::expect_input_errors_only([&] {
      const auto net = ut::tntp::read_net(net_file, strict);
      if (has_trips) (void)ut::tntp::read_trips(trips_file, net, strict);
    });
  return 0;
}
