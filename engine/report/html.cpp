// The report's HTML: every string from the inputs escaped (text and attributes); the charts' data
// as JSON in a <script type="application/json"> block with <, > and & escaped, so no input can
// end the script or inject markup.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "report/model.hpp"

namespace ut::report::detail {

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

const std::map<std::string, std::pair<std::string, std::string>>& class_names() {
  static const std::map<std::string, std::pair<std::string, std::string>> m{
      {"kindergarten", {"幼儿园", "kindergarten"}},
      {"elderly_care", {"养老照料", "elderly care"}},
      {"primary_school", {"小学", "primary school"}},
      {"middle_school", {"初中", "middle school"}},
      {"health", {"社区卫生", "health centre"}},
      {"metro", {"地铁站", "metro station"}},
      {"park", {"公园", "park"}},
      {"green", {"绿地", "green space"}},
      {"greenway", {"绿道", "greenway"}},
      {"fire", {"消防", "fire station"}}};
  return m;
}

std::pair<std::string, std::string> class_name(const std::string& c) {
  auto it = class_names().find(c);
  return it == class_names().end() ? std::pair<std::string, std::string>{c, c} : it->second;
}

// 中文 / English label of an indicator.
std::string label(const std::string& ind) {
  static const std::map<std::string, std::string> m{
      {"population", "人口 / residents"},
      {"coverage_5min_pct", "5 分钟生活圈 % / 5-minute life circle %"},
      {"coverage_10min_pct", "10 分钟生活圈 % / 10-minute life circle %"},
      {"coverage_15min_pct", "15 分钟生活圈 % / 15-minute life circle %"},
      {"park_500m_pct", "500 m 见园 % / park within 500 m %"},
      {"green_300m_pct", "300 m 见绿 % / green within 300 m %"},
      {"greenway_access_pct", "绿道 500 m % / greenway within 500 m %"},
      {"metro_800m_pct", "地铁站 800 m % / metro within 800 m %"},
      {"fire_5min_pct", "消防 5 分钟 % / fire engine within 5 min %"},
      {"park_m2_per_capita", "人均公园 m² / park m² per resident"},
      {"greenway_km", "绿道长度 km / greenway km"},
      {"households", "户数 / households"},
      {"unplaced_households", "未安置户 / unplaced households"},
      {"dwelling_units", "住房套数 / dwelling units"},
      {"mean_age", "平均年龄 / mean age"},
      {"births", "出生 / births"},
      {"deaths", "死亡 / deaths"},
      {"net_migration", "净迁入 / net migration"},
      {"movers", "搬迁户 / movers"},
      {"school_seat_balance", "学位余量 / school seats minus children 6-14"},
      {"mean_commute_min", "平均通勤 min / mean commute min"},
      {"green_mode_share_pct", "绿色出行 % / green travel share %"},
      {"congestion_index", "拥堵指数 / congestion index"},
      {"vkt_million", "日车公里 百万 / vehicle-km per day, million"},
      {"assignment_relative_gap", "配流相对间隙 / assignment relative gap"}};
  if (auto it = m.find(ind); it != m.end()) return it->second;
  const std::string a = "access_", pct = "_pct", sup = "supply_", per = "_per_1000";
  if (ind.rfind(a, 0) == 0 && ind.size() > a.size() + pct.size() && ind.ends_with(pct)) {
    const auto [zh, en] = class_name(ind.substr(a.size(), ind.size() - a.size() - pct.size()));
    return zh + "可达 % / " + en + " within reach %";
  }
  if (ind.rfind(sup, 0) == 0 && ind.ends_with(per) && ind.size() > sup.size() + per.size()) {
    const auto [zh, en] = class_name(ind.substr(sup.size(), ind.size() - sup.size() - per.size()));
    return zh + "每千人容量 / " + en + " capacity per 1,000";
  }
  return ind;
}

struct Group {
  std::string id, title;
  std::vector<std::string> indicators;
};

std::vector<Group> groups(const std::vector<std::string>& all) {
  std::vector<Group> g{{"coverage", "生活圈覆盖 / Life-circle coverage", {}},
                       {"green", "公园、绿道、地铁与消防 / Parks, greenways, metro and fire", {}},
                       {"capacity", "设施容量 / Capacity", {}},
                       {"population", "人口与住房 / Population and housing", {}},
                       {"traffic", "交通 / Traffic", {}},
                       {"other", "其他 / Other", {}}};
  static const std::set<std::string> green{"park_500m_pct",  "green_300m_pct", "greenway_access_pct",
                                           "metro_800m_pct", "fire_5min_pct",  "park_m2_per_capita",
                                           "greenway_km"};
  static const std::set<std::string> pop{"population",     "households",    "unplaced_households",
                                         "dwelling_units", "mean_age",      "births",
                                         "deaths",         "net_migration", "movers"};
  static const std::set<std::string> traffic{"mean_commute_min", "green_mode_share_pct", "congestion_index",
                                             "vkt_million", "assignment_relative_gap"};
  for (const auto& i : all) {
    std::size_t k = 5;
    if (i.rfind("coverage_", 0) == 0 || (i.rfind("access_", 0) == 0 && i.ends_with("_pct")))
      k = 0;
    else if (green.count(i))
      k = 1;
    else if (i.rfind("supply_", 0) == 0 || i == "school_seat_balance")
      k = 2;
    else if (pop.count(i))
      k = 3;
    else if (traffic.count(i))
      k = 4;
    g[k].indicators.push_back(i);
  }
  std::erase_if(g, [](const Group& x) { return x.indicators.empty(); });
  return g;
}

// JSON safe inside <script>: no '<', '>' or '&' (all inside strings, where \u escapes mean the same).
std::string script_json(const nlohmann::json& j) {
  const std::string s = j.dump();
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

std::string shown(const std::string& cell) {
  if (cell.empty()) return "—";
  try {
    const double v = std::stod(cell);
    return std::abs(v) >= 1000 ? fmt::format("{:.0f}", v) : fmt::format("{:.2f}", v);
  } catch (const std::exception&) {
    return cell;
  }
}

const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

const char* kStyle = R"(
@page { size: A4 landscape; margin: 8mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "DejaVu Sans", sans-serif; margin: 0; color: #222; font-size: 12px; }
section { padding: 6px 14px; break-after: page; page-break-after: always; }
section:last-of-type { break-after: auto; page-break-after: auto; }
h1 { font-size: 20px; margin: 4px 0 6px; } h2 { font-size: 15px; margin: 2px 0 6px; border-bottom: 2px solid #1f77b4; }
table { border-collapse: collapse; font-size: 10.5px; } td, th { border: 1px solid #ccc; padding: 2px 4px; vertical-align: top; }
th { background: #eef3f8; text-align: left; }
.charts { display: grid; grid-template-columns: repeat(5, 204px); gap: 4px 6px; }
.chart { break-inside: avoid; } .chart .t { font-size: 10px; height: 26px; overflow: hidden; } .chart .k { color: #888; font-family: monospace; font-size: 9px; }
.nodata { width: 200px; height: 130px; border: 1px dashed #bbb; color: #888; display: flex; align-items: center; justify-content: center; }
.legend span.sw { display: inline-block; width: 14px; height: 4px; margin: 0 4px 2px 10px; vertical-align: middle; }
.pass { background: #e3f4e1; color: #1d6b1a; } .fail { background: #fbe3e3; color: #a11; } .nd { background: #f1f1f1; color: #777; }
.clause { color: #666; font-size: 9.5px; } .clause .k { font-family: monospace; color: #888; }
table.compliance td[data-year] { white-space: nowrap; } .note { color: #666; font-size: 10.5px; }
.snaps { display: flex; flex-wrap: wrap; gap: 8px; } .snaps figure { margin: 0; width: 32%; } .snaps img { width: 100%; border: 1px solid #ccc; }
.attr { margin-top: 8px; font-size: 11px; }
)";

const char* kScript = R"(
(function () {
  const D = JSON.parse(document.getElementById('ut-data').textContent);
  const pal = D.palette;
  for (const c of D.charts) {
    const ds = [];
    for (const s of c.series) {
      const col = pal[s.color % pal.length];
      if (s.low) {
        ds.push({label: s.label + ' 95% low', data: s.low, borderWidth: 0, pointRadius: 0, fill: false, ci: true});
        ds.push({label: s.label + ' 95% high', data: s.high, borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: col + '40', ci: true});
      }
      ds.push({label: s.label, data: s.mean, borderColor: col, backgroundColor: col, pointRadius: 1.5, borderWidth: 1.5, fill: false});
    }
    new Chart(document.getElementById(c.id), {
      type: 'line',
      data: {labels: c.years, datasets: ds},
      options: {responsive: false, animation: false, devicePixelRatio: 2, spanGaps: false,
                plugins: {legend: {display: false}, tooltip: {filter: (it) => !it.dataset.ci}},
                scales: {x: {ticks: {font: {size: 9}, maxRotation: 0, autoSkip: true}},
                         y: {ticks: {font: {size: 9}, maxTicksLimit: 5}}}}
    });
  }
})();
)";

}  // namespace

std::string render_html(const std::vector<Source>& sources, const std::vector<Snapshot>& snapshots,
                        const std::string& chart_js, std::size_t& sections) {
  sections = 0;
  std::string h;
  auto section = [&](const std::string& id, const std::string& title) {
    ++sections;
    h += fmt::format("<section id=\"{}\"><h2>{}</h2>\n", escape(id), escape(title));
  };
  // Every series (a run, or a study's variant), with its colour.
  struct Ref {
    const Series* s;
    std::string label;
    bool study;
  };
  std::vector<Ref> refs;
  std::vector<std::string> indicators;
  std::set<std::string> seen;
  for (const auto& src : sources) {
    for (const auto& se : src.series)
      refs.push_back({&se, sources.size() > 1 && src.study ? src.name + ": " + se.label : se.label, src.study});
    for (const auto& i : src.indicators)
      if (seen.insert(i).second) indicators.push_back(i);
  }
  h += "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>UrbanTwin 情景报告 / scenario "
       "report</title>\n<style>";
  h += kStyle;
  h += "</style>\n</head>\n<body>\n";

  // 1. Overview: inputs, snapshots, attribution.
  section("overview", "UrbanTwin 情景报告 / Scenario report");
  h += "<table><tr><th>名称 / name</th><th>类型 / kind</th><th>目录 / directory</th></tr>\n";
  for (const auto& s : sources)
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", escape(s.name), escape(s.detail),
                     escape(s.dir.string()));
  h += "</table>\n";
  // Single runs side by side: say that their differences carry no interval (a study's do).
  if (sources.size() > 1 && std::any_of(sources.begin(), sources.end(), [](const Source& s) { return !s.study; }))
    h += "<p class=\"note\">单次运行 / Single runs: each run is one realisation of the population model's chance (one "
         "seed), so the lines of two runs differ partly by chance, and this report gives no interval for that "
         "difference. A study (<code>urbantwin batch</code> over several seeds) draws the mean and 95 % interval of "
         "each variant; <code>urbantwin compare --study</code> gives the interval of each difference.</p>\n";
  h += "<h3>快照 / Snapshots</h3>\n<div class=\"snaps\">\n";
  for (const auto& sn : snapshots) {
    if (!sn.png_base64.empty())
      h += fmt::format(
          "<figure><img alt=\"{0}\" src=\"data:image/png;base64,{1}\"><figcaption>{0}</figcaption></figure>\n",
          escape(sn.label), sn.png_base64);
    else
      h += fmt::format("<p class=\"note\">{}: {}</p>\n", escape(sn.label), escape(sn.note));
  }
  h += "</div>\n<div class=\"attr\"><b>数据来源 / Attribution</b><br>\n";
  std::set<std::string> attributions;
  for (const auto& s : sources)
    attributions.insert(s.attribution.empty() ? "(no ATTRIBUTION.txt in " + s.dir.string() + ")" : s.attribution);
  for (const auto& a : attributions) h += escape(a) + "<br>\n";
  h += "</div>\n</section>\n";

  // 2. Indicators over the years, one section per group; every series on every chart.
  nlohmann::json charts = nlohmann::json::array();
  std::size_t chart_no = 0;
  for (const auto& g : groups(indicators)) {
    section("charts-" + g.id, "指标历年变化 / Indicators over the years: " + g.title);
    h += "<div class=\"legend\">";
    for (std::size_t k = 0; k < refs.size(); ++k)
      h += fmt::format("<span class=\"sw\" style=\"background:{}\"></span>{}{}", kPalette[k % std::size(kPalette)],
                       escape(refs[k].label), refs[k].study ? " (均值与 95 % 区间 / mean and 95 % interval)" : "");
    h += "</div>\n<div class=\"charts\">\n";
    for (const auto& ind : g.indicators) {
      std::set<int> years;
      bool any = false;
      for (const auto& r : refs) {
        years.insert(r.s->years.begin(), r.s->years.end());
        if (auto it = r.s->mean.find(ind); it != r.s->mean.end())
          for (const auto& v : it->second) any |= v.has_value();
      }
      h += fmt::format("<div class=\"chart\"><div class=\"t\">{} <span class=\"k\">{}</span></div>", escape(label(ind)),
                       escape(ind));
      if (!any) {
        h += "<div class=\"nodata\">无数据 / no data</div></div>\n";
        continue;
      }
      const std::string id = fmt::format("chart-{}", chart_no++);
      h += fmt::format("<canvas id=\"{}\" data-indicator=\"{}\" width=\"200\" height=\"130\"></canvas></div>\n", id,
                       escape(ind));
      nlohmann::json c{{"id", id}, {"indicator", ind}, {"years", std::vector<int>(years.begin(), years.end())}};
      auto& ser = c["series"] = nlohmann::json::array();
      for (std::size_t k = 0; k < refs.size(); ++k) {
        const Series& s = *refs[k].s;
        auto column = [&](const std::map<std::string, std::vector<std::optional<double>>>& m) {
          nlohmann::json a = nlohmann::json::array();
          auto it = m.find(ind);
          for (int y : years) {
            const auto at = std::find(s.years.begin(), s.years.end(), y);
            if (it == m.end() || at == s.years.end() || !it->second[static_cast<std::size_t>(at - s.years.begin())])
              a.push_back(nullptr);
            else
              a.push_back(*it->second[static_cast<std::size_t>(at - s.years.begin())]);
          }
          return a;
        };
        nlohmann::json e{{"label", refs[k].label}, {"color", k}, {"mean", column(s.mean)}};
        if (!s.low.empty()) {
          e["low"] = column(s.low);
          e["high"] = column(s.high);
        }
        ser.push_back(std::move(e));
      }
      charts.push_back(std::move(c));
    }
    h += "</div>\n</section>\n";
  }

  // 3. Norms compliance, one section per run shown.
  std::size_t table_no = 0;
  for (const auto& s : sources)
    for (const auto& r : s.runs) {
      section(fmt::format("compliance-{}", table_no), "规范达标 / Norms compliance: " + r.label);
      if (!r.has_compliance) {
        h += "<p class=\"note\">这次运行没有 compliance.csv / this run has no compliance.csv (made before compliance "
             "existed): run it again.</p>\n</section>\n";
        ++table_no;
        continue;
      }
      if (r.compliance.empty()) {
        h += "<p class=\"note\">城市档案未列规范 / the city profile states no norms ([[compliance]], "
             "docs/compliance.md).</p>\n</section>\n";
        ++table_no;
        continue;
      }
      std::vector<int> years;
      for (const auto& c : r.compliance)
        if (std::find(years.begin(), years.end(), c.year) == years.end()) years.push_back(c.year);
      const std::size_t norms = r.compliance.size() / years.size();
      h += fmt::format(
          "<p class=\"note\"><span class=\"pass\">✓ 达标 pass</span> <span class=\"fail\">✗ 未达标 fail</span> "
          "<span class=\"nd\">– 无数据 no data</span> (compliance.csv; docs/compliance.md)</p>\n"
          "<table class=\"compliance\" data-run=\"{}\">\n<tr><th>规范 / norm (指标 / indicator)</th><th>要求 / "
          "rule</th>",
          escape(r.dir.string()));
      for (int y : years) h += fmt::format("<th>{}</th>", y);
      h += "</tr>\n";
      for (std::size_t n = 0; n < norms; ++n) {
        const auto& first = r.compliance[n];
        h += fmt::format("<tr><td>{}<div class=\"clause\">{} <span class=\"k\">{}</span></div></td><td>{}&nbsp;{}</td>",
                         escape(first.norm), escape(first.clause), escape(first.indicator), escape(first.op),
                         escape(first.target));
        for (std::size_t k = 0; k < years.size(); ++k) {
          const std::size_t i = k * norms + n;
          if (i >= r.compliance.size()) break;
          const auto& c = r.compliance[i];
          const char* cls = c.status == "pass" ? "pass" : c.status == "fail" ? "fail" : "nd";
          // A symbol keeps twelve years on one page; the legend above the table and the cell's title say it in words.
          const char* mark = c.status == "pass" ? "✓" : c.status == "fail" ? "✗" : "–";
          const char* word = c.status == "pass" ? "达标 pass" : c.status == "fail" ? "未达标 fail" : "无数据 no data";
          h += fmt::format(
              "<td class=\"{}\" title=\"{}\" data-year=\"{}\" data-indicator=\"{}\" data-row=\"{}\" data-value=\"{}\" "
              "data-status=\"{}\">"
              "{} <span class=\"v\">{}</span></td>",
              cls, word, c.year, escape(c.indicator), n, escape(c.value), escape(c.status), mark, escape(shown(c.value)));
        }
        h += "</tr>\n";
      }
      h += "</table>\n</section>\n";
      ++table_no;
    }

  // 4. Data completeness: sites per class against what the norms imply.
  section("completeness", "数据完整性 / Data completeness");
  h += "<p class=\"note\">每类设施的站点数（来自输入图层，如 "
       "OpenStreetMap）；“规范所需”按城市档案的每千人容量规范与人口推算，"
       "以每个站点的默认容量折算。/ Sites per class in the input layers (e.g. OpenStreetMap); \"implied\": the "
       "capacity a "
       "per-1,000-residents norm of the city profile asks for the final year's residents, in sites of the class's "
       "default "
       "capacity. A class without any site has no data.</p>\n<table><tr><th>类别 / class</th>";
  std::vector<const Source::Run*> runs;
  for (const auto& s : sources)
    for (const auto& r : s.runs) runs.push_back(&r);
  for (const auto* r : runs) h += fmt::format("<th>{}</th>", escape(r->label));
  h += "</tr>\n";
  std::vector<std::string> classes;
  for (const auto* r : runs)
    for (const auto& c : r->classes)
      if (std::find(classes.begin(), classes.end(), c.name) == classes.end()) classes.push_back(c.name);
  for (const auto& cl : classes) {
    const auto [zh, en] = class_name(cl);
    h += fmt::format("<tr><td>{} / {}</td>", escape(zh), escape(en));
    for (const auto* r : runs) {
      const ClassInfo* ci = nullptr;
      for (const auto& c : r->classes)
        if (c.name == cl) ci = &c;
      if (ci == nullptr) {
        h += "<td>—</td>";
        continue;
      }
      std::string cell = ci->no_data ? "<span class=\"fail\">0 站点 sites: 无数据 / no data</span>"
                                     : fmt::format("{} 站点 / sites", ci->sites);
      for (const auto& c : r->compliance)
        if (c.year == r->final_year && c.indicator == "supply_" + cl + "_per_1000" && r->population &&
            ci->default_capacity > 0) {
          const double per = std::stod(c.target);
          const double need = per * *r->population / 1000;
          cell += fmt::format("<br>规范所需 / implied: {:.0f} {} ≈ {:.0f} 站点 / sites ({} {} per 1,000, {:.0f} each)",
                              need, escape(ci->capacity_unit), std::ceil(need / ci->default_capacity), escape(c.op),
                              escape(c.target), ci->default_capacity);
        }
      h += "<td>" + cell + "</td>";
    }
    h += "</tr>\n";
  }
  h += "</table>\n";
  for (const auto* r : runs) {
    if (r->notes.empty()) continue;
    h += fmt::format("<p class=\"note\"><b>{}</b>: ", escape(r->label));
    for (std::size_t k = 0; k < r->notes.size() && k < 4; ++k) {
      std::string n = r->notes[k];
      if (n.size() > 240) {
        std::size_t cut = 240;  // never inside a UTF-8 sequence
        while (cut > 0 && (static_cast<unsigned char>(n[cut]) & 0xC0) == 0x80) --cut;
        n = n.substr(0, cut) + "…";
      }
      h += escape(n) + (k + 1 < std::min<std::size_t>(r->notes.size(), 4) ? "; " : "");
    }
    if (r->notes.size() > 4) h += fmt::format(" (+{} more in manifest.json)", r->notes.size() - 4);
    h += "</p>\n";
  }
  h += "</section>\n";

  nlohmann::json data{{"charts", charts}, {"palette", nlohmann::json::array()}};
  for (const char* c : kPalette) data["palette"].push_back(c);
  h += "<script type=\"application/json\" id=\"ut-data\">" + script_json(data) + "</script>\n<script>\n";
  h += chart_js;
  h += "\n</script>\n<script>";
  h += kScript;
  h += "</script>\n</body>\n</html>\n";
  return h;
}

}  // namespace ut::report::detail
