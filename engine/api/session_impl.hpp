#pragma once
// Internal to api: the state of an edit session (docs/api.md, "How a session answers").
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/api.hpp"
#include "graph/entry.hpp"
#include "graph/graph.hpp"
#include "models/coverage/coverage.hpp"

namespace ut::api {

// 2SFCA sums per point, exact and never saturated (the full computation saturates at
// core::kFixedMaxRaw: supply is from_fixed(min(sum, max))), so that removing a site's
// contributions undoes adding them exactly.
__extension__ typedef __int128 Wide;

struct Session::Impl {
  // One walk or drive network as the session sees it: the Simulation's, or rebuilt after a
  // greenway or road edit.
  struct Net {
    std::shared_ptr<const graph::Graph> owned;
    const graph::Graph* g = nullptr;
    std::shared_ptr<const graph::Parts> owned_parts;
    const graph::Parts* parts = nullptr;
    std::shared_ptr<const std::vector<graph::EntryPoint>> owned_points;
    const std::vector<graph::EntryPoint>* points = nullptr;  // home points' entries
    mutable std::shared_ptr<coverage::SiteReach> reach;      // built on first use
    mutable std::shared_ptr<graph::EdgeLocator> locator;     // usable edges; built on first use
    const coverage::SiteReach& site_reach() const;
    const graph::EdgeLocator& edge_locator() const;
  };
  struct SiteRec {
    std::int64_t id = 0;  // facility or greenway id
    bool greenway = false;
    std::uint32_t uid = 0;  // unique within the session
    coverage::Site site;
  };
  // One class: its sites and, once an edit touched it, the index that makes edits incremental.
  struct Cls {
    std::vector<SiteRec> sites;
    bool indexed = false;
    // Per home point: (site uid, cost) of every site within the search bound.
    std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> at;
    std::vector<Wide> acc;  // 2SFCA: per home point, fixed-point sum of the sites' contributions
  };
  struct Edit {
    enum Kind { add_facility, remove_facility, add_greenway, close_road, rezone } kind = add_facility;
    EditId id = 0;
    std::string cls;
    city::Facility facility;  // add/remove facility: the facility; its position in city.facilities
    std::size_t index = 0;
    city::Greenway greenway;
    std::vector<std::pair<std::size_t, city::Road>>
        roads;  // close_road: its pieces as they were, by position, descending
    bool to_all = false;
    std::size_t parcel = 0;  // rezone: the parcel and its values before
    std::string land_use;
    double floor_area_m2 = 0;
    double far = 0;  // NaN: none set by the session
  };

  const scenario::Scenario& s;
  const sim::Simulation& sim;
  std::size_t history;
  std::vector<std::string> names;
  // The state at the start (reset) and now.
  city::City city0, city;
  sim::YearResult y0, y;
  Net walk0, drive0, walk, drive;
  std::vector<Cls> cls0, cls;
  std::deque<Edit> edits;
  std::size_t applied = 0;  // edits in effect (edits may have dropped the oldest)
  EditId next_id = 1;
  // Site uids: a rebuild renumbers its classes' sites from here; reset() goes back to uid0 (the
  // count after the start), so however many visitors come, the uids stay far from wrapping.
  std::uint32_t next_uid = 0, uid0 = 0;
  std::int64_t facility_base = 0, greenway_base = 0;
  std::vector<std::uint32_t> point_parcel;
  std::vector<geo::BBox> parcel_box;
  geo::BBox city_box;  // of every parcel: edits must lie within limits::kMaxMarginM of it
  std::vector<double> far;  // per parcel: the floor-area ratio a rezone set (NaN: none), written as [[rezone]] far
  Delta delta;

  Impl(const scenario::Scenario& s, const sim::Simulation& sim, const sim::YearResult& y, std::size_t history);

  std::size_t class_index(const std::string& name, const std::string& what) const;
  bool drive_class(std::size_t k) const { return s.norms[k].network == scenario::Network::drive; }
  const Net& net(std::size_t k) const { return drive_class(k) ? drive : walk; }
  void ensure_index(std::size_t k);
  // Adds or removes one site of class k, updating its costs and supply; the points whose values
  // changed are appended to `changed`.
  void add_site(std::size_t k, SiteRec rec, std::vector<std::uint32_t>& changed);
  void remove_site(std::size_t k, std::size_t i, std::vector<std::uint32_t>& changed);
  void shift_supply(std::size_t k, const coverage::Site& site, int sign, std::vector<std::uint32_t>& changed);
  // Adds / removes a facility (every class it serves); `index`: its position in city.facilities.
  void insert_facility(const city::Facility& f, std::size_t index, const std::string& cls,
                       std::vector<std::vector<std::uint32_t>>& changed);
  // delta_cls: the class whose residents the delta counts (empty: the first class it served).
  void erase_facility(std::int64_t id, const std::string& delta_cls, std::vector<std::vector<std::uint32_t>>& changed);
  // Rebuilds the walk and/or drive network from `city` and recomputes the classes on them.
  void rebuild(bool walk_net, bool drive_net);
  // Shares, tiers and indicators after the points in changed[k] changed; fills `delta`.
  void refresh(const std::vector<std::vector<std::uint32_t>>& changed, bool sites_count_changed,
               const std::string& delta_cls);
  void refresh_all(const std::string& delta_cls);
  void apply_inverse(const Edit& e);
  EditId push(Edit e);  // the edit's id
  std::vector<std::vector<std::uint32_t>> no_change() const {
    return std::vector<std::vector<std::uint32_t>>(s.norms.size());
  }
};

// Networks and sites from a city, as the yearly loop builds them (sim::Simulation): used for a
// session's rebuilds and its from-scratch recomputation.
struct Networks {
  graph::Graph walk, drive;
  graph::Parts walk_parts, drive_parts;
  std::vector<graph::EntryPoint> point_walk, point_drive;
};
Networks build_networks(const scenario::Scenario& s, const sim::Simulation& sim, const city::City& c, bool walk,
                        bool drive);

}  // namespace ut::api
