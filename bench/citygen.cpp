// citygen: a synthetic city for benchmarks, deterministic from a seed (issue 15).
//
//   citygen SIZE OUT_DIR [--seed N] [--residents N] [--profile FILE] [--no-buildings]
//
// SIZE is tiny (5,000 residents), S (100,000), M (2,000,000) or L (21,000,000, about 1,000,000
// blocks). OUT_DIR receives city.gpkg (parcels, roads, greenways, facilities, buildings,
// barriers, water, metro_lines), profile.toml (a copy of central Chengdu's profile), scenario.toml
// (2024-2035, read by `urbantwin run` like real data) and README.md. Nothing in it is a real
// place: see docs/performance.md, "The synthetic city".
//
// The city: a square grid of blocks 100 m apart (about 21 residents a block on average, the
// density the L size gives: 21 M residents on 1 M blocks, like Chengdu's whole
// municipality, 21 M on 14,335 km2), denser towards the centre. Streets: an arterial every
// 2 km, a secondary road every 1 km, one-way couplets (a pair of tertiary streets in opposite
// directions) halfway between, residential streets elsewhere. Rivers run west-east across the
// city in a meandering band 150 m wide; only arterials and secondary roads bridge them, the
// other streets stop at the bank; a greenway follows the north bank. Facilities follow the
// residents at the rates of the life-circle norms (below), parks are the park blocks, metro
// lines run along arterials 6 km apart in the central 60 % with a station every 1 km, fire
// stations stand one per 7 km2.
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef UT_SOURCE_DIR
#define UT_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;

namespace {

constexpr double kPitch = 100;        // m between street centre lines
constexpr double kInset = 8;          // m from a street centre line to the block's edge
constexpr double kRiverHalf = 75;     // m: half the river band's width
constexpr double kX0 = 500000, kY0 = 3400000;  // EPSG:32648 (UTM 48N, Chengdu's zone): the city's centre
constexpr double kResidentsPerBlock = 21;      // 21 M residents on 1 M blocks (issue 15, size L)
// Traffic zone cells of 2,000 m (tiny, S, M): about 8,000 residents a zone. L's scenario uses
// 3,000 m cells (at most 34 x 34 = 1,156 zones over its 100 km square, about 18,000 residents a
// zone) and a relative gap of 1e-4 for every feedback loop (traffic.assignment_gap and
// feedback_gap): with 2,000 m cells and 1e-6 its base year alone took 1,260 CPU s of the
// 2,400 (20 min on 2 cores) the whole 12-year run may take (docs/performance.md, "L with
// traffic"). 1e-4 is the relative gap Boyce, Ralevic-Dekic and Bar-Gera (2004, "Convergence of
// traffic assignment: how much is enough?", J. Transp. Eng. 130(1)) found needed for stable link
// flows in a regional model; docs/traffic.md, "Feedback". 1,400 m cells gave 5,256 zones. The
// bushes of the assignment, the zone-to-zone matrices and the walk skim grow with the zones (the
// matrices with their square).
constexpr double kZoneM = 2000;
constexpr double kZoneM_L = 3000;
constexpr double kGapL = 1e-4;

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
double u01(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t salt) {
  const std::uint64_t h = mix(mix(mix(seed ^ (salt * 0x632be59bd9b4e019ULL)) ^ a) ^ b);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

struct Args {
  std::string size;
  fs::path out;
  std::uint64_t seed = 1;
  long long residents = 0;
  fs::path profile = fs::path(UT_SOURCE_DIR) / "gis-data/chengdu-center/profile.toml";
  bool buildings = true;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "citygen: %s\nusage: citygen tiny|S|M|L OUT_DIR [--seed N] [--residents N] [--profile FILE] "
               "[--no-buildings]\n",
               why.c_str());
  std::exit(2);
}

Args parse(int argc, char** argv) {
  if (argc < 3) usage("SIZE and OUT_DIR are required");
  Args a;
  a.size = argv[1];
  a.out = argv[2];
  const std::map<std::string, long long> sizes = {{"tiny", 5000}, {"S", 100000}, {"M", 2000000}, {"L", 21000000}};
  if (!sizes.count(a.size)) usage("SIZE must be tiny, S, M or L, not \"" + a.size + "\"");
  a.residents = sizes.at(a.size);
  for (int i = 3; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(k + " needs a value");
      return argv[++i];
    };
    auto integer = [&](const std::string& v, long long lo, long long hi) {
      std::size_t used = 0;
      long long x = 0;
      try {
        x = std::stoll(v, &used);
      } catch (...) {
        used = 0;
      }
      if (used != v.size() || v.empty() || x < lo || x > hi)
        usage(k + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi) + ", not \"" + v + "\"");
      return x;
    };
    if (k == "--seed") a.seed = static_cast<std::uint64_t>(integer(value(), 0, (1LL << 62)));
    else if (k == "--residents") a.residents = integer(value(), 1000, 25000000);
    else if (k == "--profile") a.profile = value();
    else if (k == "--no-buildings") a.buildings = false;
    else usage("unknown option \"" + k + "\"");
  }
  if (!fs::is_regular_file(a.profile)) usage("profile \"" + a.profile.string() + "\" is not a readable file");
  return a;
}

// Land uses and their floor-area ratio at the centre; the share of floor area that houses
// residents is the profile's ([land_uses], central Chengdu: residential 0.9, mixed 0.6).
struct Use {
  const char* name;
  double far;
  double housing;
};
const Use kUses[] = {{"residential", 3.0, 0.9}, {"mixed", 3.5, 0.6}, {"commercial", 3.0, 0},
                     {"office", 4.0, 0},        {"education", 1.0, 0}, {"health", 1.5, 0},
                     {"industrial", 1.0, 0},    {"park", 0.0, 0},     {"other", 0.1, 0}};
enum UseId { kResidential, kMixed, kCommercial, kOffice, kEducation, kHealth, kIndustrial, kPark, kOther };

// Shares of the land uses by ring (r: distance from the centre over the half-width).
UseId pick_use(double r, double u) {
  static const double core[] = {0.45, 0.20, 0.10, 0.08, 0.04, 0.02, 0.00, 0.08, 0.03};
  static const double mid[] = {0.50, 0.08, 0.05, 0.03, 0.04, 0.02, 0.12, 0.08, 0.08};
  static const double outer[] = {0.30, 0.00, 0.02, 0.00, 0.03, 0.02, 0.10, 0.05, 0.48};
  const double* s = r < 0.3 ? core : r < 0.7 ? mid : outer;
  double acc = 0;
  for (int k = 0; k < 9; ++k) {
    acc += s[k];
    if (u < acc) return static_cast<UseId>(k);
  }
  return kOther;
}

// Residents per facility: GB 50180-2018's life circles (kindergarten and elderly care in the
// 5-minute circle of 5,000-12,000 residents, primary school in the 10-minute circle of
// 15,000-25,000, middle school and health centre in the 15-minute circle of 50,000-100,000).
struct Rate {
  const char* cls;
  double residents;
};
const Rate kRates[] = {{"kindergarten", 10000}, {"elderly_care", 10000}, {"primary_school", 25000},
                       {"middle_school", 50000}, {"health", 50000}};
constexpr double kFireKm2 = 7;  // GB 51080-2015: an urban fire station serves 4-7 km2

class Writer {
 public:
  explicit Writer(const fs::path& file) {
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
    if (drv == nullptr) throw std::runtime_error("GDAL has no GPKG driver");
    ds_.reset(drv->Create(file.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds_) throw std::runtime_error("cannot create " + file.string());
    srs_.importFromEPSG(32648);
    srs_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  }
  OGRLayer* layer(const char* name, OGRwkbGeometryType type,
                  const std::vector<std::pair<const char*, OGRFieldType>>& fields) {
    if (ds_->TestCapability(ODsCTransactions) && in_tx_) ds_->CommitTransaction();
    OGRLayer* l = ds_->CreateLayer(name, type == wkbNone ? nullptr : &srs_, type, nullptr);
    if (l == nullptr) throw std::runtime_error(std::string("cannot create layer ") + name);
    for (const auto& [n, t] : fields) {
      OGRFieldDefn d(n, t);
      if (l->CreateField(&d) != OGRERR_NONE) throw std::runtime_error(std::string("cannot create field ") + n);
    }
    ds_->StartTransaction();
    in_tx_ = true;
    return l;
  }
  void commit() {
    if (in_tx_) ds_->CommitTransaction();
    in_tx_ = false;
  }
  static void add(OGRLayer* l, OGRFeature& f) {
    if (l->CreateFeature(&f) != OGRERR_NONE) throw std::runtime_error("cannot write a feature");
  }

 private:
  std::unique_ptr<GDALDataset> ds_;
  OGRSpatialReference srs_;
  bool in_tx_ = false;
};

OGRPolygon rect(double x0, double y0, double x1, double y1) {
  OGRLinearRing ring;
  ring.addPoint(x0, y0);
  ring.addPoint(x1, y0);
  ring.addPoint(x1, y1);
  ring.addPoint(x0, y1);
  ring.addPoint(x0, y0);
  OGRPolygon p;
  p.addRing(&ring);
  return p;
}

}  // namespace

namespace {

// The profile as OUT/profile.toml and the standards file its [norms] table names as
// OUT/norms.toml, the copy's `file` key pointing at it: the city directory is self-contained.
void copy_profile(const fs::path& profile, const fs::path& out) {
  std::ifstream in(profile, std::ios::binary);
  std::ostringstream text;
  std::string line, table;
  while (std::getline(in, line)) {
    if (line.rfind('[', 0) == 0) table = line.substr(0, line.find(']') + 1);
    const std::string key = "file = \"";
    if (table == "[norms]" && line.rfind(key, 0) == 0) {
      const auto end = line.find('"', key.size());
      const fs::path norms = line.substr(key.size(), end - key.size());
      fs::copy_file(norms.is_absolute() ? norms : profile.parent_path() / norms, out / "norms.toml",
                    fs::copy_options::overwrite_existing);
      line = key + "norms.toml\"" + line.substr(end + 1);
    }
    text << line << '\n';
  }
  std::ofstream(out / "profile.toml", std::ios::binary) << text.str();
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  const double zone_m = a.size == "L" ? kZoneM_L : kZoneM;
  try {
    GDALAllRegister();
    const long long n = std::max<long long>(8, std::llround(std::ceil(std::sqrt(a.residents / kResidentsPerBlock))));
    const double half = n * kPitch / 2;
    const double ox = kX0 - half, oy = kY0 - half;  // south-west corner (a street crossing)
    auto gx = [&](long long i) { return ox + i * kPitch; };
    auto gy = [&](long long j) { return oy + j * kPitch; };
    // Rivers: west-east, meandering; one per 40 km of city height, at least one.
    const int rivers = static_cast<int>(std::max<long long>(1, n / 400));
    std::vector<double> river_y, river_amp, river_len, river_phase;
    for (int k = 0; k < rivers; ++k) {
      river_y.push_back(oy + n * kPitch * (k + 1) / (rivers + 1) + (u01(a.seed, k, 0, 11) - 0.5) * 400);
      river_amp.push_back(std::min(1500.0, n * kPitch * 0.04) * (0.6 + 0.8 * u01(a.seed, k, 1, 11)));
      river_len.push_back(3000 + 4000 * u01(a.seed, k, 2, 11));
      river_phase.push_back(6.283185307179586 * u01(a.seed, k, 3, 11));
    }
    auto centre_y = [&](int k, double x) {
      return river_y[k] + river_amp[k] * std::sin(6.283185307179586 * (x - ox) / river_len[k] + river_phase[k]);
    };
    // Distance (north-south) from a point to the nearest river's centre line, and its sign.
    auto wet = [&](double x, double y, double margin) {
      for (int k = 0; k < rivers; ++k)
        if (std::abs(y - centre_y(k, x)) < kRiverHalf + margin) return true;
      return false;
    };
    auto road_class = [&](long long i) -> int {  // 0 arterial, 1 secondary, 2 couplet A, 3 couplet B, 4 local
      const long long m = ((i - n / 2) % 20 + 20) % 20;
      if (m == 0) return 0;
      if (m == 10) return 1;
      if (m == 5) return 2;
      if (m == 6) return 3;
      return 4;
    };
    struct RoadKind {
      const char* cls;
      double speed;
      int lanes;
    };
    const RoadKind kinds[] = {{"primary", 60, 6}, {"secondary", 50, 4}, {"tertiary", 40, 2}, {"tertiary", 40, 2}, {"residential", 30, 2}};

    fs::create_directories(a.out);
    const fs::path gpkg = a.out / "city.gpkg";
    fs::remove(gpkg);
    Writer w(gpkg);
    long long n_roads = 0, n_parcels = 0, n_buildings = 0, n_fac = 0, n_gw = 0, n_bridges = 0;

    // --- Roads: each grid line cut where it meets a river (bridged on arterials and secondaries).
    {
      OGRLayer* L = w.layer("roads", wkbLineString,
                            {{"road_id", OFTInteger64}, {"class", OFTString}, {"name", OFTString}, {"speed_kmh", OFTReal},
                             {"lanes", OFTInteger}, {"oneway", OFTInteger}});
      for (int dir = 0; dir < 2; ++dir) {  // 0: north-south lines (x = const), 1: west-east lines
        for (long long i = 0; i <= n; ++i) {
          const int c = road_class(i);
          const bool bridge = c <= 1;
          std::vector<std::pair<double, double>> run;
          auto flush = [&]() {
            if (run.size() >= 2) {
              OGRFeature f(L->GetLayerDefn());
              f.SetField("road_id", static_cast<GIntBig>(++n_roads));
              f.SetField("class", kinds[c].cls);
              f.SetField("name", (std::string(dir == 0 ? "North-South " : "West-East ") + std::to_string(i)).c_str());
              f.SetField("speed_kmh", kinds[c].speed);
              f.SetField("lanes", kinds[c].lanes);
              f.SetField("oneway", c == 2 || c == 3 ? 1 : 0);
              OGRLineString ls;
              // Couplets: street A one way in the line's direction, street B the other way.
              if (c == 3)
                for (auto it = run.rbegin(); it != run.rend(); ++it) ls.addPoint(it->first, it->second);
              else
                for (const auto& [x, y] : run) ls.addPoint(x, y);
              f.SetGeometry(&ls);
              Writer::add(L, f);
            }
            run.clear();
          };
          bool prev_wet = false;
          for (long long j = 0; j <= n; ++j) {
            const double x = dir == 0 ? gx(i) : gx(j), y = dir == 0 ? gy(j) : gy(i);
            const bool is_wet = wet(x, y, 10);
            if (is_wet && !(bridge && dir == 0)) {
              flush();
              continue;
            }
            if (is_wet && !prev_wet) ++n_bridges;
            prev_wet = is_wet;
            run.emplace_back(x, y);
          }
          flush();
        }
      }
      w.commit();
    }

    // --- Water and barriers: the river bands.
    std::vector<OGRPolygon> water;
    for (int k = 0; k < rivers; ++k) {
      OGRLinearRing ring;
      const int steps = static_cast<int>(n * kPitch / 50);
      for (int s = 0; s <= steps; ++s) {
        const double x = ox + s * 50.0;
        ring.addPoint(x, centre_y(k, x) - kRiverHalf);
      }
      for (int s = steps; s >= 0; --s) {
        const double x = ox + s * 50.0;
        ring.addPoint(x, centre_y(k, x) + kRiverHalf);
      }
      ring.closeRings();
      OGRPolygon p;
      p.addRing(&ring);
      water.push_back(p);
    }
    {
      OGRLayer* L = w.layer("water", wkbPolygon, {{"water_id", OFTInteger64}, {"kind", OFTString}});
      for (std::size_t k = 0; k < water.size(); ++k) {
        OGRFeature f(L->GetLayerDefn());
        f.SetField("water_id", static_cast<GIntBig>(k + 1));
        f.SetField("kind", "river");
        f.SetGeometry(&water[k]);
        Writer::add(L, f);
      }
      L = w.layer("barriers", wkbPolygon, {{"barrier_id", OFTInteger64}, {"kind", OFTString}});
      for (std::size_t k = 0; k < water.size(); ++k) {
        OGRFeature f(L->GetLayerDefn());
        f.SetField("barrier_id", static_cast<GIntBig>(k + 1));
        f.SetField("kind", "water");
        f.SetGeometry(&water[k]);
        Writer::add(L, f);
      }
      w.commit();
    }

    // --- Greenways: along each river's north bank, on the street crossings nearest the water.
    {
      OGRLayer* L = w.layer("greenways", wkbLineString, {{"greenway_id", OFTInteger64}, {"name", OFTString}, {"level", OFTString}});
      for (int k = 0; k < rivers; ++k) {
        auto first_dry = [&](long long i) {
          long long j = static_cast<long long>(std::floor((centre_y(k, gx(i)) - oy) / kPitch));
          j = std::max<long long>(0, j);
          while (j <= n && wet(gx(i), gy(j), 10)) ++j;
          while (j <= n && gy(j) < centre_y(k, gx(i))) ++j;
          return j;
        };
        OGRLineString ls;
        for (long long i = 0; i < n; ++i) {
          const long long a0 = first_dry(i), a1 = first_dry(i + 1), m = std::max(a0, a1);
          if (m > n) continue;
          if (ls.getNumPoints() == 0) ls.addPoint(gx(i), gy(a0));
          if (m != a0) ls.addPoint(gx(i), gy(m));
          ls.addPoint(gx(i + 1), gy(m));
          if (m != a1) ls.addPoint(gx(i + 1), gy(a1));
        }
        if (ls.getNumPoints() < 2) continue;
        OGRFeature f(L->GetLayerDefn());
        f.SetField("greenway_id", static_cast<GIntBig>(++n_gw));
        f.SetField("name", ("River " + std::to_string(k + 1) + " greenway").c_str());
        f.SetField("level", "city");
        f.SetGeometry(&ls);
        Writer::add(L, f);
      }
      w.commit();
    }

    // --- Blocks: land use, floor area, residents (largest remainder to the exact total).
    const std::size_t nb = static_cast<std::size_t>(n * n);
    std::vector<std::uint8_t> use(nb, kOther), dry(nb, 0);
    std::vector<double> floor(nb, 0), weight(nb, 0);
    double wsum = 0;
    const double area = (kPitch - 2 * kInset) * (kPitch - 2 * kInset);
    for (long long j = 0; j < n; ++j)
      for (long long i = 0; i < n; ++i) {
        const std::size_t b = static_cast<std::size_t>(j * n + i);
        const double cx = gx(i) + kPitch / 2, cy = gy(j) + kPitch / 2;
        if (wet(cx, cy, kPitch / 2)) continue;
        dry[b] = 1;
        const double r = std::max(std::abs(cx - kX0), std::abs(cy - kY0)) / half;
        const UseId u = pick_use(r, u01(a.seed, i, j, 1));
        use[b] = u;
        const double intensity = 0.25 + 0.75 * std::exp(-3.0 * r);
        floor[b] = kUses[u].far * intensity * (0.8 + 0.4 * u01(a.seed, i, j, 2)) * area;
        weight[b] = floor[b] * kUses[u].housing;
        wsum += weight[b];
      }
    std::vector<long long> residents(nb, 0);
    {
      long long given = 0;
      std::vector<std::pair<double, std::size_t>> rem;
      for (std::size_t b = 0; b < nb; ++b) {
        if (weight[b] <= 0) continue;
        const double exact = a.residents * weight[b] / wsum;
        residents[b] = static_cast<long long>(std::floor(exact));
        given += residents[b];
        rem.emplace_back(exact - residents[b], b);
      }
      std::sort(rem.begin(), rem.end(), [](const auto& x, const auto& y) { return x.first != y.first ? x.first > y.first : x.second < y.second; });
      for (long long k = 0; k < a.residents - given; ++k) ++residents[rem[static_cast<std::size_t>(k)].second];
    }
    {
      OGRLayer* L = w.layer("parcels", wkbPolygon,
                            {{"parcel_id", OFTInteger64}, {"land_use", OFTString}, {"floor_area_m2", OFTReal}, {"residents", OFTInteger}});
      for (std::size_t b = 0; b < nb; ++b) {
        if (!dry[b]) continue;
        const long long i = static_cast<long long>(b) % n, j = static_cast<long long>(b) / n;
        OGRFeature f(L->GetLayerDefn());
        f.SetField("parcel_id", static_cast<GIntBig>(b + 1));
        f.SetField("land_use", kUses[use[b]].name);
        f.SetField("floor_area_m2", std::round(floor[b]));
        f.SetField("residents", static_cast<int>(residents[b]));
        OGRPolygon p = rect(gx(i) + kInset, gy(j) + kInset, gx(i + 1) - kInset, gy(j + 1) - kInset);
        f.SetGeometry(&p);
        Writer::add(L, f);
        ++n_parcels;
      }
      w.commit();
    }
    if (a.buildings) {
      // One apartment block per housing parcel: a footprint 12 m inside the parcel, as many
      // storeys as its housing floor area needs.
      OGRLayer* L = w.layer("buildings", wkbPolygon, {{"building_id", OFTInteger64}, {"building", OFTString}, {"levels", OFTReal}});
      const double fp = (kPitch - 2 * kInset - 24) * (kPitch - 2 * kInset - 24);
      for (std::size_t b = 0; b < nb; ++b) {
        if (!dry[b] || kUses[use[b]].housing <= 0) continue;
        const long long i = static_cast<long long>(b) % n, j = static_cast<long long>(b) / n;
        OGRFeature f(L->GetLayerDefn());
        f.SetField("building_id", static_cast<GIntBig>(b + 1));
        f.SetField("building", "apartments");
        f.SetField("levels", std::clamp(std::ceil(floor[b] / fp), 1.0, 60.0));
        const double in = kInset + 12;
        OGRPolygon p = rect(gx(i) + in, gy(j) + in, gx(i + 1) - in, gy(j + 1) - in);
        f.SetGeometry(&p);
        Writer::add(L, f);
        ++n_buildings;
      }
      w.commit();
    }

    // --- Facilities.
    std::map<std::string, long long> per_class;
    {
      OGRLayer* L = w.layer("facilities", wkbUnknown,
                            {{"facility_id", OFTInteger64}, {"classes", OFTString}, {"name", OFTString}, {"capacity", OFTReal}});
      auto point = [&](const std::string& cls, double x, double y) {
        OGRFeature f(L->GetLayerDefn());
        f.SetField("facility_id", static_cast<GIntBig>(++n_fac));
        f.SetField("classes", cls.c_str());
        f.SetField("name", (cls + " " + std::to_string(++per_class[cls])).c_str());
        OGRPoint pt(x, y);
        f.SetGeometry(&pt);
        Writer::add(L, f);
      };
      // Where a point facility of a block stands: 10 m inside its south edge, mid-block.
      auto site = [&](std::size_t b) {
        const long long i = static_cast<long long>(b) % n, j = static_cast<long long>(b) / n;
        return std::make_pair(gx(i) + kPitch / 2, gy(j) + kInset + 10);
      };
      // Life-circle facilities follow the residents: blocks are visited tile by tile (8 x 8
      // blocks, tiles in serpentine order, blocks in serpentine order inside), residents are
      // accumulated, and a site opens at the block where the count passes the class's rate.
      std::vector<std::size_t> order;
      order.reserve(nb);
      const long long T = 8, nt = (n + T - 1) / T;
      for (long long tj = 0; tj < nt; ++tj)
        for (long long tk = 0; tk < nt; ++tk) {
          const long long ti = tj % 2 == 0 ? tk : nt - 1 - tk;
          for (long long dj = 0; dj < T; ++dj)
            for (long long dk = 0; dk < T; ++dk) {
              const long long di = dj % 2 == 0 ? dk : T - 1 - dk;
              const long long i = ti * T + di, j = tj * T + dj;
              if (i < n && j < n) order.push_back(static_cast<std::size_t>(j * n + i));
            }
        }
      for (std::size_t k = 0; k < sizeof kRates / sizeof kRates[0]; ++k) {
        double acc = kRates[k].residents * u01(a.seed, k, 0, 3);  // each class starts at its own phase
        for (const std::size_t b : order) {
          if (!dry[b]) continue;
          acc += static_cast<double>(residents[b]);
          if (acc < kRates[k].residents) continue;
          acc -= kRates[k].residents * std::floor(acc / kRates[k].residents);
          const auto [x, y] = site(b);
          point(kRates[k].cls, x, y);
        }
      }
      // Parks: every park block, as an area.
      for (std::size_t b = 0; b < nb; ++b) {
        if (!dry[b] || use[b] != kPark) continue;
        const long long i = static_cast<long long>(b) % n, j = static_cast<long long>(b) / n;
        OGRFeature f(L->GetLayerDefn());
        f.SetField("facility_id", static_cast<GIntBig>(++n_fac));
        f.SetField("classes", "park");
        f.SetField("name", ("park " + std::to_string(++per_class["park"])).c_str());
        OGRPolygon p = rect(gx(i) + kInset, gy(j) + kInset, gx(i + 1) - kInset, gy(j + 1) - kInset);
        f.SetGeometry(&p);
        Writer::add(L, f);
      }
      // Fire stations: a lattice of one per 7 km2, each at the nearest dry block.
      const long long step = std::max<long long>(1, std::llround(std::sqrt(kFireKm2 * 1e6) / kPitch));
      for (long long j = step / 2; j < n; j += step)
        for (long long i = step / 2; i < n; i += step) {
          for (long long d = 0; d < step; ++d) {
            const long long jj = j + d;
            if (jj >= n || !dry[static_cast<std::size_t>(jj * n + i)]) continue;
            const auto [x, y] = site(static_cast<std::size_t>(jj * n + i));
            point("fire_station", x, y);
            break;
          }
        }
      // Metro: lines along the arterials 6 km apart inside the central 60 %, a station every
      // 1 km (on the street crossing's corner block, away from the rivers).
      OGRLayer* M = nullptr;
      std::vector<OGRLineString> lines;
      const long long lim = static_cast<long long>(0.3 * n);
      for (int dir = 0; dir < 2; ++dir)
        for (long long off = -(lim / 60) * 60; off <= lim; off += 60) {
          const long long i = n / 2 + off;
          OGRLineString ls;
          for (long long t = n / 2 - lim; t <= n / 2 + lim; t += 10) {
            const double x = dir == 0 ? gx(i) : gx(t), y = dir == 0 ? gy(t) : gy(i);
            ls.addPoint(x, y);
            if (wet(x + kPitch / 2, y + kPitch / 2, kPitch / 2)) continue;
            point("metro", x + kInset + 2, y + kInset + 2);
          }
          if (ls.getNumPoints() >= 2) lines.push_back(ls);
        }
      w.commit();
      M = w.layer("metro_lines", wkbLineString, {{"line_id", OFTInteger64}});
      for (std::size_t k = 0; k < lines.size(); ++k) {
        OGRFeature f(M->GetLayerDefn());
        f.SetField("line_id", static_cast<GIntBig>(k + 1));
        f.SetGeometry(&lines[k]);
        Writer::add(M, f);
      }
      w.commit();
      // The data's credit, read by `urbantwin run` (docs/conventions.md, "Credits"): made here, from
      // no third party's data, so the runs carry this line and not OpenStreetMap's.
      OGRLayer* A = w.layer("about", wkbNone, {{"key", OFTString}, {"value", OFTString}});
      const std::pair<const char*, std::string> about[] = {
          {"attribution", "Synthetic city made by bench/citygen (seed " + std::to_string(a.seed) +
                              "): not a real place and no third party's data; no attribution required."},
          {"derived_by", "bench/citygen (urbantwin), docs/performance.md \"The synthetic city\""}};
      for (const auto& [k, v] : about) {
        OGRFeature f(A->GetLayerDefn());
        f.SetField("key", k);
        f.SetField("value", v.c_str());
        Writer::add(A, f);
      }
      w.commit();
    }

    // --- Profile, scenario, README.
    copy_profile(a.profile, a.out);
    const std::string name = "synthetic-" + a.size;
    {
      std::ofstream s(a.out / "scenario.toml");
      s << "# A SYNTHETIC city made by bench/citygen (not a real place): see README.md.\n"
        << "name = \"" << name << "\"\n"
        << "profile = \"profile.toml\"\n"
        << "description = \"Synthetic city " << a.size << " (" << a.residents << " residents, seed " << a.seed
        << "), bench/citygen\"\n"
        << "seed = " << a.seed << "\nbase_year = 2024\nend_year = 2035\ncrs = \"EPSG:32648\"\n\n";
      for (const char* l : {"parcels", "roads", "greenways", "facilities", "buildings", "barriers"}) {
        if (std::string(l) == "buildings" && !a.buildings) continue;
        s << "[layers." << l << "]\nsource = \"city.gpkg\"\nlayer = \"" << l << "\"\n\n";
      }
      // The car assignment on the arterials and secondary roads only (docs/traffic.md, "Assignment
      // network"), as a city-wide model of a real city assigns on its main roads: on every drivable
      // street L's assignment alone would need over 80 GB (docs/performance.md).
      s << "[traffic]\n"
        << "# Cars are assigned on the main roads only (primary, secondary; local streets are zone connectors),\n"
        << "# as a city-wide model would: docs/traffic.md, \"Assignment network\".\n"
        << "assignment_roads = [\"primary\", \"secondary\"]\n"
        << "zone_size_m = " << zone_m << "\n"
        << "# Each year's first car skim at last year's congested times, not free flow (docs/traffic.md, \"Feedback\").\n"
        << "feedback_from_last_year = true\n";
      if (a.size == "L")
        s << "# L: a looser gap so that the 12 years fit 20 min on 2 cores (bench/citygen.cpp, docs/performance.md).\n"
          << "assignment_gap = " << kGapL << "\nfeedback_gap = " << kGapL << "\n";
    }
    {
      std::ofstream r(a.out / "README.md");
      r << "# Synthetic city " << a.size << " (bench/citygen, seed " << a.seed << ")\n\n"
        << "**Synthetic: not a real place.** Made by `citygen " << a.size << " OUT --seed " << a.seed
        << " --residents " << a.residents << (a.buildings ? "" : " --no-buildings")
        << "` for benchmarks (docs/performance.md, \"The synthetic city\"). The same arguments give the same layers.\n\n"
        << "Its profile (`profile.toml`) is a copy of central Chengdu's (`gis-data/chengdu-center/profile.toml`): the\n"
        << "demography, mobility and capacities of a real city on a made-up street plan; `norms.toml` is a copy of\n"
        << "the standards file the profile names (`gis-data/norms/gb50180-2018.toml`).\n\n"
        << "| what | count |\n| --- | --- |\n"
        << "| residents | " << a.residents << " |\n"
        << "| blocks (grid " << n << " x " << n << ", 100 m apart) | " << nb << " |\n"
        << "| parcels (blocks not in a river) | " << n_parcels << " |\n"
        << "| roads (lines) | " << n_roads << " |\n"
        << "| bridges | " << n_bridges << " |\n"
        << "| rivers | " << rivers << " |\n"
        << "| greenways | " << n_gw << " |\n"
        << "| buildings | " << n_buildings << " |\n"
        << "| facilities | " << n_fac << " |\n";
      for (const auto& [c, k] : per_class) r << "| - " << c << " | " << k << " |\n";
      r << "| traffic zone cells (" << zone_m << " m) at most | "
        << static_cast<long long>(std::ceil(n * kPitch / zone_m + 1) * std::ceil(n * kPitch / zone_m + 1)) << " |\n";
    }
    std::printf("citygen %s: %lld residents, %lld parcels, %lld roads, %lld buildings, %lld facilities -> %s\n",
                a.size.c_str(), a.residents, n_parcels, n_roads, n_buildings, n_fac, a.out.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "citygen: %s\n", e.what());
    return 1;
  }
  return 0;
}
