#include "app/compare_cmd.hpp"

#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "batch/tables.hpp"
#include "core/progress.hpp"
#include "gis_io/run_reader.hpp"
#include "output/compare.hpp"
#include "output/run_dir.hpp"

namespace ut::app {

namespace {

nlohmann::ordered_json number(const std::optional<double>& v) {
  if (!v) return nullptr;
  return *v;
}

// How sure a comparison of two single runs can be, said under its table.
std::string seeds_note(const gis_io::RunData& a, const gis_io::RunData& b) {
  const auto seed = [](const gis_io::RunData& r) { return r.seed ? std::to_string(*r.seed) : std::string("unknown"); };
  const std::string which = a.seed && b.seed && *a.seed == *b.seed ? "both seed " + seed(a) : "seeds " + seed(a) + " and " + seed(b);
  return fmt::format(
      "One run of each ({}): these differences carry no uncertainty estimate, and a small one may be the "
      "population model's chance alone. For 95 % intervals over seeds: urbantwin batch with several seeds, then "
      "urbantwin compare --study (docs/batch.md).",
      which);
}

}  // namespace

int cmd_compare(const CompareArgs& args) {
  core::ProgressBar bar("urbantwin compare", args.common.show_progress());
  if (!args.study.empty()) {
    bar.update(0, "reading the study's runs");
    const auto index = batch::read_study_index(args.study);
    const std::size_t a = batch::find_variant(index, args.a.string());
    const std::size_t b = batch::find_variant(index, args.b.string());
    const auto out = args.out.empty() ? args.study / fmt::format("compare-{}-vs-{}", index.variants[a].label, index.variants[b].label) : args.out;
    const auto diffs = batch::compare_variants(index, a, b, out, args.overwrite, true);
    bar.finish();
    if (args.common.text()) batch::print_variant_differences(index, a, b, out, diffs);
    if (args.common.json) {
      nlohmann::ordered_json j;
      j["out"] = out.string();
      j["study"] = args.study.string();
      j["a"] = index.variants[a].label;
      j["b"] = index.variants[b].label;
      const int last = diffs.back().year;
      j["final_year"] = last;
      auto& ind = j["indicators"] = nlohmann::ordered_json::object();
      for (const auto& d : diffs) {
        if (d.year != last) continue;
        nlohmann::ordered_json e;
        e["a"] = d.a.n ? nlohmann::ordered_json(d.a.mean) : nlohmann::ordered_json(nullptr);
        e["b"] = d.b.n ? nlohmann::ordered_json(d.b.mean) : nlohmann::ordered_json(nullptr);
        e["difference"] = d.diff.n ? nlohmann::ordered_json(d.diff.mean) : nlohmann::ordered_json(nullptr);
        e["ci95_low"] = number(d.diff.ci_low);
        e["ci95_high"] = number(d.diff.ci_high);
        e["within_noise"] = d.diff.distinguishable ? nlohmann::ordered_json(!*d.diff.distinguishable) : nlohmann::ordered_json(nullptr);
        e["pairs"] = d.diff.n;
        ind[d.indicator] = std::move(e);
      }
      j["attribution"] = batch::study_credit(index, {a, b}).text;
      print_json(j);
    }
    return 0;
  }
  // An output named on the command line is checked (and locked) before anything is read.
  std::optional<core::Staging> staging;
  if (!args.out.empty()) staging.emplace(output::compare_output_spec(args.out, args.a, args.b, args.overwrite));
  bar.update(0, "reading " + args.a.string());
  const auto a = gis_io::read_run(args.a);
  bar.update(0.4, "reading " + args.b.string());
  const auto b = gis_io::read_run(args.b);
  bar.update(0.8, "comparing");
  const auto c = output::compare_runs(a, b);
  const auto name = [](const gis_io::RunData& r) { return r.scenario.empty() ? r.dir.filename().string() : r.scenario; };
  const auto out = args.out.empty() ? std::filesystem::path("runs") / fmt::format("compare-{}-vs-{}", name(a), name(b)) : args.out;
  if (!staging) staging.emplace(output::compare_output_spec(out, args.a, args.b, args.overwrite));
  bar.update(0.85, "writing " + out.string());
  output::write_comparison(*staging, a, b, c);
  bar.finish();
  const int last = c.years.back();
  if (args.common.json) {
    nlohmann::ordered_json j;
    j["out"] = out.string();
    const auto seed = [](const gis_io::RunData& r) { return r.seed ? nlohmann::ordered_json(*r.seed) : nlohmann::ordered_json(nullptr); };
    j["a"] = {{"run", args.a.string()}, {"scenario", name(a)}, {"seed", seed(a)}};
    j["b"] = {{"run", args.b.string()}, {"scenario", name(b)}, {"seed", seed(b)}};
    j["first_year"] = c.years.front();
    j["final_year"] = last;
    auto& ind = j["indicators"] = nlohmann::ordered_json::object();
    for (const auto& d : c.indicators) {
      if (d.year != last || d.name == "year") continue;
      ind[d.name] = {{"a", number(d.a)}, {"b", number(d.b)},
                     {"difference", d.a && d.b ? nlohmann::ordered_json(*d.b - *d.a) : nlohmann::ordered_json(nullptr)}};
    }
    j["outputs"] = {"indicator_diff.csv", "parcel_diff.gpkg"};
    j["attribution"] = c.credit.text;
    print_json(j);
    return 0;
  }
  if (args.common.quiet) return 0;
  fmt::print("B = {} ({}) minus A = {} ({}), years {}-{}\n", name(b), args.b.string(), name(a), args.a.string(), c.years.front(), last);
  fmt::print("Indicators in {}:\n  {:<32} {:>14} {:>14} {:>14}\n", last, "indicator", "A", "B", "B - A");
  const auto show = [](const std::string& indicator, const std::optional<double>& v) {
    return v ? output::show_indicator(indicator, *v) : std::string("no data");
  };
  int unchanged = 0;
  std::vector<const output::IndicatorDiff*> diagnostics;
  for (const auto& d : c.indicators) {
    if (d.year != last || d.name == "year") continue;
    if (output::indicator_is_diagnostic(d.name)) {  // the solver's convergence: not an effect of B
      diagnostics.push_back(&d);
      continue;
    }
    if (!d.a || !d.b) {
      if (d.a.has_value() != d.b.has_value()) fmt::print("  {:<32} {:>14} {:>14} {:>14}\n", d.name, show(d.name, d.a), show(d.name, d.b), "");
      continue;
    }
    if (*d.a == *d.b) {
      ++unchanged;
      continue;
    }
    fmt::print("  {:<32} {:>14} {:>14} {:>14}\n", d.name, show(d.name, d.a), show(d.name, d.b),
               (*d.b > *d.a ? "+" : "") + output::show_indicator(d.name, *d.b - *d.a));
  }
  fmt::print("  ({} indicators unchanged)\n", unchanged);
  for (const auto* d : diagnostics)
    fmt::print("Solver convergence, not an effect: {} A {}, B {}\n", d->name, show(d->name, d->a), show(d->name, d->b));
  fmt::print("{}\n", seeds_note(a, b));
  // Residents by parcel in the final year.
  const auto& fa = a.parcel_fields;
  const auto ia = std::find(fa.begin(), fa.end(), "residents") - fa.begin();
  const auto& fb = b.parcel_fields;
  const auto ib = std::find(fb.begin(), fb.end(), "residents") - fb.begin();
  if (ia < static_cast<std::ptrdiff_t>(fa.size()) && ib < static_cast<std::ptrdiff_t>(fb.size())) {
    double gain = 0, loss = 0;
    int gained = 0, lost = 0;
    std::ptrdiff_t best = -1, worst = -1;
    double best_d = 0, worst_d = 0;
    for (std::size_t p = 0; p < a.parcel_id.size(); ++p) {
      const auto& va = a.parcel_years.at(last)[p][static_cast<std::size_t>(ia)];
      const auto& vb = b.parcel_years.at(last)[p][static_cast<std::size_t>(ib)];
      if (!va || !vb) continue;
      const double d = *vb - *va;
      if (d > 0) gain += d, ++gained;
      if (d < 0) loss += d, ++lost;
      if (d > best_d) best_d = d, best = static_cast<std::ptrdiff_t>(p);
      if (d < worst_d) worst_d = d, worst = static_cast<std::ptrdiff_t>(p);
    }
    fmt::print("Residents in {}: {:+.0f} in {} parcels, {:+.0f} in {} parcels", last, gain, gained, loss, lost);
    if (best >= 0) fmt::print("; largest gain parcel {} ({:+.0f})", a.parcel_id[static_cast<std::size_t>(best)], best_d);
    if (worst >= 0) fmt::print("; largest loss parcel {} ({:+.0f})", a.parcel_id[static_cast<std::size_t>(worst)], worst_d);
    fmt::print("\n");
  }
  fmt::print("Wrote {}/indicator_diff.csv and {}/parcel_diff.gpkg\n{}\n", out.string(), out.string(), c.credit.text);
  return 0;
}

}  // namespace ut::app
