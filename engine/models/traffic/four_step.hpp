#pragma once
// The demand side of the four-step model, over zones 0..Z-1 and Z x Z skims (row-major, minutes):
//   generation   (given: productions O_i from residents, attractions D_j from jobs)
//   distribution doubly-constrained gravity  T_ij = a_i O_i b_j D_j f_ij,  f_ij = sum_m exp(V_ijm)
//                (the deterrence is the exponentiated logsum of the mode choice: a combined model)
//   mode choice  multinomial logit  P_ijm = exp(V_ijm) / sum_k exp(V_ijk),  m in {car, transit, walk/bike}
//                V_car = asc_car + beta_time * (car_min + car_terminal_min)
//                V_transit = asc_transit + beta_time * transit_min          (absent where transit_min is infinite)
//                V_walkbike = beta_time * walkbike_min + beta_greenway * greenway_share_i
// Assignment of the car matrix is done by the caller (assign_bush). docs/traffic.md gives the
// parameters and their sources.
#include <cstdint>
#include <vector>

namespace ut::traffic {

// A city's values (its profile's [modes], docs/profile-format.md).
struct ModeParams {
  double beta_time = 0;          // utility per minute
  double asc_car = 0;
  double asc_transit = 0;
  double car_terminal_min = 0;   // parking and walking to and from the car
  double beta_greenway = 0;      // bonus for walk/bike from zones with greenway access (share 0..1)
};

enum Mode : int { kCar = 0, kTransit = 1, kWalkBike = 2, kModes = 3 };

struct Skims {
  std::uint32_t zones = 0;
  std::vector<double> minutes[kModes];  // per mode, Z x Z; +inf: mode not available
};

struct TripMatrices {
  std::uint32_t zones = 0;
  std::vector<double> trips[kModes];  // person trips per mode, Z x Z
  int furness_iterations = 0;
  double furness_error = 0;  // largest relative row/column mismatch at the end
};

// Productions and attractions must be non-negative; attractions are scaled to the productions' sum.
TripMatrices distribute_and_split(const std::vector<double>& productions, const std::vector<double>& attractions,
                                  const std::vector<double>& greenway_share, const Skims& skims, const ModeParams& p);

}  // namespace ut::traffic
