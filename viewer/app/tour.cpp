#include "app/tour.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>

#include "core/error.hpp"

namespace ut::viewer {

using core::InputError;
using core::Where;

Tour load_tour(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) throw InputError(Where{file.string(), "", ""}, "tour file must exist", "missing");
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw InputError(Where{file.string(), fmt::format("line {}", e.source().begin.line), ""}, "must be valid TOML: " + std::string(e.description()), "");
  }
  Tour t;
  t.file = file;
  auto fail = [&](const std::string& key, const std::string& rule, const std::string& value) {
    throw InputError(Where{file.string(), "", "key " + key}, rule, value);
  };
  auto check_keys = [&](const toml::table& tab, const std::string& prefix, std::initializer_list<const char*> allowed) {
    for (const auto& [k, v] : tab) {
      bool ok = false;
      for (const char* a : allowed) ok |= k.str() == a;
      if (!ok) fail(prefix + std::string(k.str()), "unknown key", "");
    }
  };
  check_keys(root, "", {"title_zh", "title_en", "idle_seconds", "exit_key", "stop", "live"});
  t.title_zh = root["title_zh"].value_or(std::string());
  t.title_en = root["title_en"].value_or(std::string());
  t.idle_seconds = root["idle_seconds"].value_or(t.idle_seconds);
  if (!(t.idle_seconds >= 1 && t.idle_seconds <= 3600)) fail("idle_seconds", "must be in [1, 3600]", std::to_string(t.idle_seconds));
  t.exit_key = root["exit_key"].value_or(t.exit_key);
  const toml::array* stops = root["stop"].as_array();
  if (stops == nullptr || stops->empty()) fail("stop", "a tour needs at least one [[stop]]", "none");
  for (std::size_t i = 0; i < stops->size(); ++i) {
    const std::string p = fmt::format("stop[{}].", i + 1);
    const toml::table* s = (*stops)[i].as_table();
    if (s == nullptr) fail(p, "must be a table", "");
    check_keys(*s, p, {"run", "compare", "camera", "indicator", "year", "play", "seconds", "caption_zh", "caption_en"});
    Stop st;
    st.run = (*s)["run"].value_or(std::string());
    st.compare = (*s)["compare"].value_or(std::string());
    st.camera = (*s)["camera"].value_or(st.camera);
    st.indicator = (*s)["indicator"].value_or(st.indicator);
    st.year = static_cast<int>((*s)["year"].value_or(std::int64_t{0}));
    st.play = (*s)["play"].value_or(false);
    st.seconds = (*s)["seconds"].value_or(st.seconds);
    if (!(st.seconds > 0 && st.seconds <= 3600)) fail(p + "seconds", "must be in (0, 3600]", std::to_string(st.seconds));
    st.caption_zh = (*s)["caption_zh"].value_or(std::string());
    st.caption_en = (*s)["caption_en"].value_or(std::string());
    t.stops.push_back(std::move(st));
  }
  if (const toml::node* ln = root.get("live")) {
    const toml::table* l = ln->as_table();
    if (l == nullptr) fail("live", "must be a table", "");
    check_keys(*l, "live.", {"enabled", "budget", "greenway", "offer"});
    if (const auto* e = l->get("enabled")) {
      if (!e->is_boolean()) fail("live.enabled", "must be true or false", "");
      t.live.enabled = e->value_or(true);
    }
    if (const auto* g = l->get("greenway")) {
      if (!g->is_boolean()) fail("live.greenway", "must be true or false", "");
      t.live.greenway = g->value_or(true);
    }
    if (const auto* b = l->get("budget")) {
      const auto v = b->value<std::int64_t>();
      if (!b->is_integer() || !v || *v < 1 || *v > 50) fail("live.budget", "must be an integer in [1, 50]", b->is_integer() ? std::to_string(*v) : "not an integer");
      t.live.budget = static_cast<int>(*v);
    }
    if (const auto* o = l->get("offer")) {
      const toml::array* arr = o->as_array();
      if (arr == nullptr || arr->empty() || arr->size() > 6) fail("live.offer", "must be 1 to 6 [[live.offer]] tables", "");
      t.live.offers.clear();
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string p = fmt::format("live.offer[{}].", i + 1);
        const toml::table* s = (*arr)[i].as_table();
        if (s == nullptr) fail(p, "must be a table", "");
        check_keys(*s, p, {"class", "zh", "en"});
        Offer of;
        of.cls = (*s)["class"].value_or(std::string());
        of.zh = (*s)["zh"].value_or(std::string());
        of.en = (*s)["en"].value_or(std::string());
        if (of.cls.empty()) fail(p + "class", "must name a coverage class of the run", "missing");
        if (of.zh.empty() || of.en.empty()) fail(p + (of.zh.empty() ? "zh" : "en"), "the menu label must be given in Chinese and English", "missing");
        t.live.offers.push_back(std::move(of));
      }
    }
  }
  return t;
}

}  // namespace ut::viewer
