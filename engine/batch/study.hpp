#pragma once
// A study (`urbantwin batch STUDY.toml`, docs/batch.md): scenarios × sweep points × seeds, each
// run an independent run directory of `urbantwin run`. load_study reads and checks the file and
// every run it implies (each scenario loaded with its overrides, exactly as the run will load it),
// so a bad study stops before any run starts.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "output/run_dir.hpp"
#include "scenario/scenario.hpp"

namespace ut::batch {

// One scenario at one sweep point: the unit the statistics describe (its runs differ by seed).
struct Variant {
  std::filesystem::path file;                   // the scenario file
  std::string scenario;                         // its name (after overrides)
  std::size_t sweep = 0;                        // index of the sweep point
  std::vector<scenario::Override> overrides;    // the study's [set], then the sweep point's
  std::string label;                            // scenario, or scenario_key=value_... (unique)
  std::string overrides_text;                   // "key=value;key=value" (empty: none)
  int base_year = 0, end_year = 0;              // as run (end_year: the study's until, if set)
  bool traffic = false;
};

struct RunSpec {
  std::string name;  // directory name under DIR/runs: <variant label>_seed-<seed>
  std::size_t variant = 0;
  std::uint64_t seed = 0;
  double cost = 0;   // expected relative cost (years; traffic weighs 10): longest first
};

struct Study {
  std::filesystem::path file;
  std::string name, description;
  std::vector<std::uint64_t> seeds;
  output::Keep keep = output::Keep::indicators;
  std::optional<int> until;
  std::string reference;  // scenario name; empty: no differences
  std::size_t sweep_points = 1;
  std::vector<Variant> variants;  // scenario-major, then sweep point
  std::vector<RunSpec> runs;      // variant-major, then seed (the study's order)
  // For the reference pairing: variant index of (reference scenario, sweep point), or npos.
  std::vector<std::size_t> reference_of;
};

struct StudyOptions {
  std::optional<int> seeds;  // --seeds N: seeds 1..N in place of the file's
  std::optional<int> until;  // --until YEAR
};

// Throws core::InputError (exit 2) naming the study file and key: unknown keys (nearest
// suggested), no scenario, a glob matching nothing, a scenario that does not load with its
// overrides (its own message), zero seeds, a seed out of range, a duplicate run name (two
// scenarios of one name, or one listed twice), an unknown reference, `seed` in [set] or [sweep].
Study load_study(const std::filesystem::path& file, const StudyOptions& options);

// The arguments of `urbantwin run` for a run (without the program name).
std::vector<std::string> run_arguments(const Study& s, const RunSpec& r, const std::filesystem::path& out_dir,
                                       unsigned threads, bool overwrite);

// The overrides a run applies, in the order `urbantwin run` applies them (its --set, then --seed).
std::vector<scenario::Override> run_overrides(const Study& s, const RunSpec& r);

}  // namespace ut::batch
