// compliance.csv as written by the run directory and read back by the report: text with commas,
// quotes and a line break survives the round trip; the report's HTML escaping.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "core/staging.hpp"
#include "output/run_dir.hpp"
#include "report/model.hpp"

using namespace ut;
namespace fs = std::filesystem;

TEST_CASE("compliance.csv: quoted cells read back exactly by the report", "[report][compliance]") {
  scenario::Scenario s;
  s.profile.compliance = {
      {"population", scenario::CompareOp::le, 1000, "人口, \"at most\" 1,000", "clause\nwith a line break", "x"},
      {"greenway_km", scenario::CompareOp::gt, 2.5, "plain", "GB 0", "x"}};
  sim::YearResult y;
  y.year = 2030;
  y.indicators = {{"year", 2030}, {"population", 1000}, {"greenway_km", std::nullopt}};
  const std::string csv = output::compliance_csv(s, {y});
  CHECK(csv ==
        "year,indicator,norm,clause,op,target,value,status\n"
        "2030,population,\"人口, \"\"at most\"\" 1,000\",\"clause\nwith a line break\",<=,1000,1000,pass\n"
        "2030,greenway_km,plain,GB 0,>,2.5,,no data\n");
  const fs::path f = fs::temp_directory_path() / ("ut_report_test_" + std::to_string(::getpid()) + ".csv");
  core::write_file(f, csv);
  const auto rows = report::detail::read_csv(f);
  fs::remove(f);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1] == std::vector<std::string>{"2030", "population", "人口, \"at most\" 1,000",
                                            "clause\nwith a line break", "<=", "1000", "1000", "pass"});
  CHECK(rows[2] == std::vector<std::string>{"2030", "greenway_km", "plain", "GB 0", ">", "2.5", "", "no data"});
}

TEST_CASE("report: HTML escaping of input strings", "[report]") {
  CHECK(report::detail::escape("<script>alert('x&y')</script>\"") ==
        "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;&quot;");
  CHECK(report::detail::escape("幼儿园 300 m") == "幼儿园 300 m");
}
