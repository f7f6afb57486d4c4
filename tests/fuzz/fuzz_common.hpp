#pragma once
// Shared by the libFuzzer targets: a per-process scratch folder for the input files, and the
// rule for what counts as a finding. ut::core::InputError is the expected answer to bad input;
// any other exception escaping the engine is a finding (abort, so libFuzzer saves the input),
// like a crash, a sanitizer report, a leak, a timeout or an allocation past -rss_limit_mb.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace ut::fuzz {

// A folder under $TMPDIR (tests/fuzz/run_fuzz.sh points it into its own temporary folder),
// removed when the process ends normally; run_fuzz.sh removes it after a finding too.
class Scratch {
 public:
  Scratch() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ut-fuzz-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("ut-fuzz: mkdtemp");
      std::abort();
    }
    dir_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  const std::filesystem::path& dir() const { return dir_; }

  // Writes `data` to `name` in the scratch folder and returns its path.
  std::filesystem::path write(const std::string& name, std::string_view data) const {
    const auto path = dir_ / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) {
      std::fprintf(stderr, "ut-fuzz: cannot write %s\n", path.c_str());
      std::abort();
    }
    return path;
  }

 private:
  std::filesystem::path dir_;
};

inline const Scratch& scratch() {
  static const Scratch s;
  return s;
}

// Runs one input through `f`: InputError is fine; anything else that escapes is a finding.
template <class F>
void expect_input_errors_only(F&& f) {
  try {
    f();
  } catch (const ut::core::InputError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ut-fuzz: FINDING: an exception other than InputError escaped: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "ut-fuzz: FINDING: a non-standard exception escaped\n");
    std::abort();
  }
}

}  // namespace ut::fuzz
