// Batch studies: the ensemble statistics on hand-computed cases (Student's t quantiles as in any
// t table: t(0.975, 4) = 2.776445, t(0.975, 2) = 4.302653), and study files read and refused.
#include <catch2/catch.hpp>

#include <fstream>
#include <unistd.h>

#include "batch/stats.hpp"
#include "batch/study.hpp"
#include "core/error.hpp"

namespace fs = std::filesystem;
using ut::batch::difference;
using ut::batch::summarize;

TEST_CASE("t quantiles match the t table", "[batch]") {
  CHECK(ut::batch::t975(4) == Approx(2.776445105).epsilon(1e-9));
  CHECK(ut::batch::t975(2) == Approx(4.302652730).epsilon(1e-9));
  CHECK(ut::batch::t975(1e6) == Approx(1.959966).epsilon(1e-6));
}

TEST_CASE("summary of five replications: mean, sd, t interval, range", "[batch]") {
  // 1..5: mean 3, sd sqrt(2.5) = 1.5811388; half-width 2.776445 * 1.5811388 / sqrt(5) = 1.9632432.
  const auto s = summarize({1.0, 2.0, std::nullopt, 3.0, 4.0, 5.0});
  CHECK(s.n == 5);
  CHECK(s.mean == Approx(3));
  CHECK(s.sd == Approx(1.5811388301));
  REQUIRE(s.ci_low);
  CHECK(*s.ci_low == Approx(3 - 1.9632432));
  CHECK(*s.ci_high == Approx(3 + 1.9632432));
  CHECK(s.min == 1);
  CHECK(s.max == 5);
  const auto one = summarize({7.0, std::nullopt});
  CHECK(one.n == 1);
  CHECK(one.mean == 7);
  CHECK(!one.ci_low);  // one replication: no interval
  CHECK(summarize({}).n == 0);
}

TEST_CASE("paired difference by seed, and Welch's unpaired interval beside it", "[batch]") {
  // a = 1, 2, 3; b = 2, 4, 5: differences 1, 2, 2: mean 5/3, sd 0.5773503,
  // half-width 4.302653 * 0.5773503 / sqrt(3) = 1.4342176.
  const auto d = difference({1.0, 2.0, 3.0}, {2.0, 4.0, 5.0});
  CHECK(d.n == 3);
  CHECK(d.mean == Approx(5.0 / 3));
  CHECK(d.sd == Approx(0.5773502692));
  REQUIRE(d.ci_low);
  CHECK(*d.ci_low == Approx(5.0 / 3 - 1.4342176));
  CHECK(*d.ci_high == Approx(5.0 / 3 + 1.4342176));
  CHECK(d.distinguishable == true);
  // Welch: var a 1, var b 7/3; se^2 = 1/3 + 7/9 = 10/9; df = (10/9)^2 / ((1/3)^2/2 + (7/9)^2/2) = 3.4482759;
  // t(0.975, 3.4482759) = 2.9607305 (scipy.stats.t.ppf); half-width 2.9607305 * sqrt(10/9) = 3.1208839.
  REQUIRE(d.unpaired_low);
  CHECK(*d.unpaired_low == Approx(5.0 / 3 - 3.1208839).epsilon(1e-6));
  CHECK(*d.unpaired_high == Approx(5.0 / 3 + 3.1208839).epsilon(1e-6));
  // Pairs need both: a missing value drops its pair, not the other arm's value.
  const auto gap = difference({1.0, std::nullopt, 3.0}, {2.0, 4.0, 3.0});
  CHECK(gap.n == 2);
  CHECK(gap.mean == Approx(0.5));
  // Differences that straddle 0 are within noise.
  const auto noise = difference({1.0, 2.0, 3.0}, {2.0, 1.0, 3.0});
  CHECK(noise.distinguishable == false);
  // Constant arms: the difference itself, no spread.
  const auto same = difference({2.0, 2.0}, {3.0, 3.0});
  CHECK(*same.ci_low == 1);
  CHECK(*same.unpaired_low == 1);
  CHECK(same.distinguishable == true);
}

namespace {
struct StudyDir {
  fs::path dir = fs::temp_directory_path() / ("ut_batch_study_" + std::to_string(::getpid()));
  StudyDir() { fs::create_directories(dir); }
  ~StudyDir() { fs::remove_all(dir); }
  fs::path write(const std::string& text) const {
    const auto p = dir / "study.toml";
    std::ofstream(p) << text;
    return p;
  }
};
const std::string kScenarios = std::string(UT_SOURCE_DIR) + "/scenarios/chengdu-center/";

std::string error_of(const fs::path& file) {
  try {
    (void)ut::batch::load_study(file, {});
  } catch (const ut::core::InputError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("a study expands to scenarios x sweep points x seeds, named deterministically", "[batch]") {
  StudyDir d;
  const auto f = d.write("name = \"s\"\nscenarios = [\"" + kScenarios + "baseline.toml\", \"" + kScenarios +
                         "whatif-metro-*.toml\"]\nreference = \"chengdu-center-baseline\"\nseeds = [3, 9]\nuntil = 2026\n"
                         "[set.traffic]\nenabled = false\n[sweep]\nmode = \"grid\"\n\"homes.spacing_m\" = [25, 50]\n");
  const auto s = ut::batch::load_study(f, {});
  REQUIRE(s.variants.size() == 4);  // 2 scenarios x 2 sweep points
  REQUIRE(s.runs.size() == 8);
  CHECK(s.variants[0].label == "chengdu-center-baseline_homes.spacing_m=25");
  CHECK(s.variants[3].label == "chengdu-center-metro-line_homes.spacing_m=50");
  CHECK(s.runs[1].name == "chengdu-center-baseline_homes.spacing_m=25_seed-9");
  CHECK(s.variants[2].overrides_text == "traffic.enabled=false;homes.spacing_m=25");
  CHECK(s.variants[2].end_year == 2026);
  // The reference at the same sweep point.
  CHECK(s.reference_of[3] == 1);
  CHECK(s.reference_of[2] == 0);
  const auto args = ut::batch::run_arguments(s, s.runs[7], "/o", 1, false);
  const std::vector<std::string> want{"run", (fs::path(kScenarios) / "whatif-metro-line.toml").lexically_normal().string(),
                                      "--out", "/o", "--quiet", "--keep", "indicators", "--seed", "9", "--threads", "1",
                                      "--until", "2026", "--set", "traffic.enabled=false", "--set", "homes.spacing_m=50"};
  CHECK(args == want);
  // --seeds N on the command line: seeds 1..N.
  CHECK(ut::batch::load_study(f, {4, std::nullopt}).runs.size() == 16);
}

TEST_CASE("bad study files are refused with the file, the key and the rule", "[batch]") {
  StudyDir d;
  const std::string base = "name = \"s\"\nseeds = 2\n";
  using Catch::Matchers::Contains;
  CHECK_THAT(error_of(d.write(base + "scenarios = [\"nowhere.toml\"]\n")),
             Contains("key scenarios[0]: must name an existing scenario file") && Contains("nowhere.toml"));
  CHECK_THAT(error_of(d.write(base + "scenarios = [\"" + kScenarios + "baseline.toml\", \"" + kScenarios + "baseline.toml\"]\n")),
             Contains("run names must be unique"));
  CHECK_THAT(error_of(d.write("name = \"s\"\nseeds = 0\nscenarios = [\"" + kScenarios + "baseline.toml\"]\n")),
             Contains("key seeds: a count must be from 1"));
  CHECK_THAT(error_of(d.write("name = \"s\"\nseeds = []\nscenarios = [\"" + kScenarios + "baseline.toml\"]\n")),
             Contains("key seeds: must list at least one seed"));
  CHECK_THAT(error_of(d.write(base + "scenarios = [\"" + kScenarios + "baseline.toml\"]\nrefernce = \"x\"\n")),
             Contains("key refernce: unknown key; did you mean 'reference'?"));
  CHECK_THAT(error_of(d.write(base + "scenarios = [\"" + kScenarios + "baseline.toml\"]\nreference = \"chengdu-center-baseline2\"\n")),
             Contains("did you mean 'chengdu-center-baseline'?"));
  CHECK_THAT(error_of(d.write(base + "scenarios = [\"" + kScenarios + "baseline.toml\"]\n[set]\nseed = 4\n")),
             Contains("key set.seed"));
  CHECK_THAT(error_of(d.write(base + "scenarios = [\"" + kScenarios + "baseline.toml\"]\n[set]\n\"homes.spacng_m\" = 4\n")),
             Contains("every scenario must load with the study's overrides") && Contains("did you mean 'spacing_m'?"));
  CHECK_THAT(error_of(d.write(base + "scenarios = [\"" + kScenarios + "zzz*.toml\"]\n")),
             Contains("a pattern must match at least one scenario file"));
  CHECK_THAT(error_of(d.write(base + "scenarios = [\"" + kScenarios + "baseline.toml\"]\n[sweep]\nmode = \"zip\"\n\"homes.spacing_m\" = [25, 50]\n\"homes.min_building_cover\" = [0.1]\n")),
             Contains("with mode = \"zip\" every list must have 1 values (as sweep.homes.min_building_cover)"));
  CHECK_THAT(error_of(d.write(base + "scenarios = [\"" + kScenarios + "baseline.toml\"]\nkeep = \"all\"\n")),
             Contains("key keep: must be \"indicators\", \"+parcels\" or \"full\""));
  CHECK_THAT(error_of(d.write(base + "scenarios = [\"" + kScenarios + "baseline.toml\"]\nuntil = 2099\n")),
             Contains("key until: must be a year every scenario simulates"));
}
