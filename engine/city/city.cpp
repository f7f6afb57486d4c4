#include "city/city.hpp"

namespace ut::city {

City at_year(const City& plan, int year) {
  City c;
  c.crs = plan.crs;
  c.crs_wkt = plan.crs_wkt;
  c.parcels = plan.parcels;
  c.rezonings = plan.rezonings;
  for (const auto& f : plan.facilities)
    if (f.from_year <= year && year < f.until_year) c.facilities.push_back(f);
  for (const auto& g : plan.greenways)
    if (g.from_year <= year) c.greenways.push_back(g);
  for (const auto& r : plan.roads) {
    if (!(r.from_year <= year && year < r.until_year)) continue;
    c.roads.push_back(r);
    if (year >= r.car_free_from) c.roads.back().drive = false;
  }
  return c;
}

}  // namespace ut::city
