#include "core/version.hpp"

#include "core/build_commit.hpp"  // generated: UT_BUILD_COMMIT, UT_BUILD_DIRTY

namespace ut::core {

const char* version() { return UT_VERSION; }
const char* build_commit() { return UT_BUILD_COMMIT; }
bool build_dirty() { return UT_BUILD_DIRTY != 0; }

std::string version_line(const std::string& program) {
  const std::string commit = build_commit();
  if (commit.empty()) return program + " " + version() + " (commit unknown)";
  return program + " " + version() + " (commit " + commit + (build_dirty() ? ", dirty)" : ")");
}

}  // namespace ut::core
