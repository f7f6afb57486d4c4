#include "core/memory.hpp"

#include <sys/resource.h>

namespace ut::core {

std::uint64_t peak_rss_kib() {
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) != 0 || u.ru_maxrss < 0) return 0;
  return static_cast<std::uint64_t>(u.ru_maxrss);  // KiB on Linux
}

}  // namespace ut::core
