// The example of docs/api.md, compiled and run by test_api.cpp: open central Chengdu, simulate its
// base year, add a kindergarten in a tapped block, read the answer, undo, save the edits.
#include <filesystem>
#include <fmt/format.h>

#include "api/api.hpp"

namespace ut::test {

std::int64_t api_example(const std::filesystem::path& scenario, const std::filesystem::path& whatif) {
  api::OpenOptions opts;
  opts.set = {"traffic.enabled=false"};                   // a session never re-solves traffic
  api::Model model = api::Model::open(scenario, opts);    // core::InputError on bad input
  model.step();                                           // the base year
  api::Session session = model.session(/*history=*/16);
  const auto parcel = session.parcel_at({413500, 3394500});  // a tap, in the scenario's CRS
  if (!parcel) return 0;
  session.add_facility("kindergarten", session.parcel_centroid(*parcel));
  const api::Delta& d = session.last_delta();
  fmt::print("+{} residents within {} m of a kindergarten; {} parcels changed\n", d.residents_newly_served,
             model.scenario().norms[0].radius_m, d.parcels_changed.size());
  for (const auto& i : session.indicators())
    if (i.name == "access_kindergarten_pct" && i.value) fmt::print("access_kindergarten_pct {:.2f}\n", *i.value);
  session.save_scenario(whatif);                          // [[add_facility]] dated to the year
  const std::int64_t gained = d.residents_newly_served;
  session.undo();                                         // back to the year as simulated
  return gained;
}

}  // namespace ut::test
