#pragma once
// The program's version and the git commit it was built from (cmake/build_commit.cmake writes
// the commit into a generated header at every build, so it is never stale after a new commit).
#include <string>

namespace ut::core {

// The release version, e.g. "0.1.0" (CMake's project version).
const char* version();
// The commit's short hash (`git rev-parse --short HEAD`), or "" when the source tree was not a
// git work tree.
const char* build_commit();
// True when tracked files of the source tree differed from that commit at build time.
bool build_dirty();
// "PROGRAM 0.1.0 (commit abc1234)", "... (commit abc1234, dirty)" or "... (commit unknown)".
std::string version_line(const std::string& program);

}  // namespace ut::core
