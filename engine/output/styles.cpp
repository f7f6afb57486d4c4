#include "output/styles.hpp"

#include <fmt/format.h>

#include <cmath>

namespace ut::output::styles {

namespace {

// Colour ramps: ColorBrewer (Cynthia Brewer, colorbrewer2.org), colour-blind safe schemes.
constexpr Rgb kYlGnBu[5] = {{255, 255, 204}, {161, 218, 180}, {65, 182, 196}, {44, 127, 184}, {37, 52, 148}};
constexpr Rgb kRdBu[7] = {{178, 24, 43},   {239, 138, 98},  {253, 219, 199}, {247, 247, 247},
                          {209, 229, 240}, {103, 169, 207}, {33, 102, 172}};
constexpr Rgb kRdYlGn[5] = {
    {26, 150, 65}, {166, 217, 106}, {255, 255, 191}, {253, 174, 97}, {215, 25, 28}};  // green to red
constexpr Rgb kPaired[12] = {{31, 120, 180},  {51, 160, 44},   {227, 26, 28},   {255, 127, 0},
                             {106, 61, 154},  {177, 89, 40},   {166, 206, 227}, {178, 223, 138},
                             {251, 154, 153}, {253, 191, 111}, {202, 178, 214}, {255, 255, 153}};
constexpr Rgb kOutline{120, 120, 120};

std::string rgba(Rgb c) { return fmt::format("{},{},{},255", c.r, c.g, c.b); }

// A number as QML and SLD want it: shortest round-trip form.
std::string num(double v) { return fmt::format("{}", v); }

std::string symbol_layer(const Style& s, Rgb c) {
  std::vector<std::pair<std::string, std::string>> p;
  const char* cls = "SimpleFill";
  switch (s.geometry) {
    case Geometry::polygon:
      p = {{"color", rgba(c)},
           {"style", "solid"},
           {"outline_color", rgba(kOutline)},
           {"outline_style", "solid"},
           {"outline_width", num(s.size_mm)},
           {"outline_width_unit", "MM"},
           {"joinstyle", "bevel"}};
      break;
    case Geometry::line:
      cls = "SimpleLine";
      p = {{"line_color", rgba(c)},   {"line_style", "solid"}, {"line_width", num(s.size_mm)},
           {"line_width_unit", "MM"}, {"capstyle", "round"},   {"joinstyle", "round"}};
      break;
    case Geometry::point:
      cls = "SimpleMarker";
      p = {{"color", rgba(c)},
           {"name", "circle"},
           {"size", num(s.size_mm)},
           {"size_unit", "MM"},
           {"outline_color", "35,35,35,255"},
           {"outline_style", "solid"},
           {"outline_width", "0.1"},
           {"outline_width_unit", "MM"}};
      break;
  }
  // QGIS 3.22 writes both forms (Option map, and the older prop list); it reads either.
  std::string out = fmt::format(
      "        <layer class=\"{}\" enabled=\"1\" pass=\"0\" locked=\"0\">\n          <Option type=\"Map\">\n", cls);
  for (const auto& [k, v] : p)
    out += fmt::format("            <Option value=\"{}\" type=\"QString\" name=\"{}\"/>\n", v, k);
  out += "          </Option>\n";
  for (const auto& [k, v] : p) out += fmt::format("          <prop k=\"{}\" v=\"{}\"/>\n", k, v);
  out += "        </layer>\n";
  return out;
}

const char* symbol_type(Geometry g) {
  return g == Geometry::polygon ? "fill" : g == Geometry::line ? "line" : "marker";
}

std::string symbol(const Style& s, const std::string& name, Rgb c) {
  return fmt::format(
      "      <symbol name=\"{}\" type=\"{}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n{}      </symbol>\n",
      name, symbol_type(s.geometry), symbol_layer(s, c));
}

int geometry_code(Geometry g) { return g == Geometry::point ? 0 : g == Geometry::line ? 1 : 2; }

std::string sld_symbolizer(const Style& s, Rgb c) {
  switch (s.geometry) {
    case Geometry::polygon:
      return fmt::format(
          "          <se:PolygonSymbolizer>\n            <se:Fill><se:SvgParameter "
          "name=\"fill\">{}</se:SvgParameter></se:Fill>\n"
          "            <se:Stroke><se:SvgParameter name=\"stroke\">{}</se:SvgParameter>"
          "<se:SvgParameter name=\"stroke-width\">1</se:SvgParameter></se:Stroke>\n          </se:PolygonSymbolizer>\n",
          hex(c), hex(kOutline));
    case Geometry::line:
      return fmt::format(
          "          <se:LineSymbolizer>\n            <se:Stroke><se:SvgParameter name=\"stroke\">{}</se:SvgParameter>"
          "<se:SvgParameter name=\"stroke-width\">{}</se:SvgParameter></se:Stroke>\n          </se:LineSymbolizer>\n",
          hex(c), num(std::round(s.size_mm * 3.78 * 10) / 10));  // mm to pixels at 96 dpi
    case Geometry::point:
      return fmt::format(
          "          <se:PointSymbolizer>\n            <se:Graphic><se:Mark><se:WellKnownName>circle</se:WellKnownName>"
          "<se:Fill><se:SvgParameter name=\"fill\">{}</se:SvgParameter></se:Fill>"
          "<se:Stroke><se:SvgParameter name=\"stroke\">#232323</se:SvgParameter></se:Stroke></se:Mark>"
          "<se:Size>{}</se:Size></se:Graphic>\n          </se:PointSymbolizer>\n",
          hex(c), num(std::round(s.size_mm * 3.78 * 10) / 10));
  }
  return {};
}

std::string sld_rule(const std::string& label, const std::string& filter, const std::string& symbolizer) {
  return fmt::format(
      "        <se:Rule>\n          <se:Name>{0}</se:Name>\n          "
      "<se:Description><se:Title>{0}</se:Title></se:Description>\n{1}{2}"
      "        </se:Rule>\n",
      xml_escape(label), filter, symbolizer);
}

std::string percent(double share) { return num(std::round(share * 1000) / 10); }

}  // namespace

std::string hex(Rgb c) { return fmt::format("#{:02x}{:02x}{:02x}", c.r, c.g, c.b); }

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) switch (ch) {
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
        out += "&apos;";
        break;
      default:
        out += ch;
    }
  return out;
}

std::string qml(const Style& s) {
  std::string out =
      "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
      "<qgis version=\"3.22.0\" styleCategories=\"AllStyleCategories\" hasScaleBasedVisibilityFlag=\"0\" "
      "minScale=\"100000000\" maxScale=\"0\" readOnly=\"0\" labelsEnabled=\"0\">\n";
  if (!s.temporal_start.empty())
    // mode 2: each feature from `startField` to `endField`; limitMode 0: its range includes its
    // start and excludes its end. (Mode 1, an instant with a fixed duration of 1 year, counts a
    // year as 365.25 days: a frame of a year after a leap year would show two years.)
    out += fmt::format(
        "  <temporal enabled=\"1\" mode=\"2\" startField=\"{}\" endField=\"{}\" durationField=\"\" "
        "fixedDuration=\"0\" durationUnit=\"min\" accumulate=\"0\" limitMode=\"0\" startExpression=\"\" "
        "endExpression=\"\">\n"
        "    <fixedRange><start></start><end></end></fixedRange>\n  </temporal>\n",
        xml_escape(s.temporal_start), xml_escape(s.temporal_end));
  std::string symbols;
  if (!s.ranges.empty()) {
    out += fmt::format(
        "  <renderer-v2 type=\"graduatedSymbol\" attr=\"{}\" graduatedMethod=\"GraduatedColor\" forceraster=\"0\" "
        "enableorderby=\"0\" symbollevels=\"0\" referencescale=\"-1\">\n    <ranges>\n",
        xml_escape(s.field));
    for (std::size_t i = 0; i < s.ranges.size(); ++i) {
      const auto& r = s.ranges[i];
      out += fmt::format("      <range lower=\"{}\" upper=\"{}\" symbol=\"{}\" label=\"{}\" render=\"true\"/>\n",
                         num(r.lower), num(r.upper), i, xml_escape(r.label));
      symbols += symbol(s, std::to_string(i), r.color);
    }
    out += "    </ranges>\n    <symbols>\n" + symbols + "    </symbols>\n";
    out +=
        "    <classificationMethod id=\"Custom\">\n      <symmetricMode enabled=\"0\" symmetrypoint=\"0\" "
        "astride=\"0\"/>\n"
        "      <labelFormat format=\"%1 - %2\" labelprecision=\"4\" trimtrailingzeroes=\"1\"/>\n"
        "      <parameters><Option/></parameters>\n      <extraInformation/>\n    </classificationMethod>\n";
  } else if (!s.categories.empty()) {
    out += fmt::format(
        "  <renderer-v2 type=\"categorizedSymbol\" attr=\"{}\" forceraster=\"0\" enableorderby=\"0\" "
        "symbollevels=\"0\" "
        "referencescale=\"-1\">\n    <categories>\n",
        xml_escape(s.field));
    for (std::size_t i = 0; i < s.categories.size(); ++i) {
      const auto& c = s.categories[i];
      out += fmt::format("      <category value=\"{}\" symbol=\"{}\" label=\"{}\" render=\"true\"/>\n",
                         xml_escape(c.value), i, xml_escape(c.label));
      symbols += symbol(s, std::to_string(i), c.color);
    }
    out += "    </categories>\n    <symbols>\n" + symbols + "    </symbols>\n";
  } else {
    out +=
        "  <renderer-v2 type=\"singleSymbol\" forceraster=\"0\" enableorderby=\"0\" symbollevels=\"0\" "
        "referencescale=\"-1\">\n"
        "    <symbols>\n" +
        symbol(s, "0", s.color) + "    </symbols>\n";
  }
  out += "    <rotation/>\n    <sizescale/>\n  </renderer-v2>\n";
  out += "  <blendMode>0</blendMode>\n  <featureBlendMode>0</featureBlendMode>\n  <layerOpacity>1</layerOpacity>\n";
  out += "  <legend type=\"default-vector\" showLabelLegend=\"0\"/>\n";
  out += fmt::format("  <layerGeometryType>{}</layerGeometryType>\n</qgis>\n", geometry_code(s.geometry));
  return out;
}

std::string sld(const Style& s, const std::string& layer) {
  std::string rules;
  const std::string f = xml_escape(s.field);
  auto compare = [&](const char* op, double v) {
    return fmt::format("<ogc:{0}><ogc:PropertyName>{1}</ogc:PropertyName><ogc:Literal>{2}</ogc:Literal></ogc:{0}>", op,
                       f, num(v));
  };
  if (!s.ranges.empty()) {
    for (std::size_t i = 0; i < s.ranges.size(); ++i) {
      const auto& r = s.ranges[i];
      // As QGIS: the first class includes its lower bound, the next ones start just above theirs.
      const std::string filter =
          fmt::format("          <ogc:Filter><ogc:And>{}{}</ogc:And></ogc:Filter>\n",
                      compare(i == 0 ? "PropertyIsGreaterThanOrEqualTo" : "PropertyIsGreaterThan", r.lower),
                      compare("PropertyIsLessThanOrEqualTo", r.upper));
      rules += sld_rule(r.label, filter, sld_symbolizer(s, r.color));
    }
  } else if (!s.categories.empty()) {
    for (const auto& c : s.categories) {
      const std::string filter = fmt::format(
          "          "
          "<ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>{}</ogc:PropertyName><ogc:Literal>{}</ogc:Literal>"
          "</ogc:PropertyIsEqualTo></ogc:Filter>\n",
          f, xml_escape(c.value));
      rules += sld_rule(c.label, filter, sld_symbolizer(s, c.color));
    }
  } else {
    rules += sld_rule(s.title, "", sld_symbolizer(s, s.color));
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<StyledLayerDescriptor xmlns=\"http://www.opengis.net/sld\" version=\"1.1.0\" "
      "xmlns:se=\"http://www.opengis.net/se\" xmlns:ogc=\"http://www.opengis.net/ogc\" "
      "xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:schemaLocation=\"http://www.opengis.net/sld "
      "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd\">\n"
      "  <NamedLayer>\n    <se:Name>{0}</se:Name>\n    <UserStyle>\n      <se:Name>{1}</se:Name>\n"
      "      <se:Description><se:Title>{2}</se:Title></se:Description>\n      <se:FeatureTypeStyle>\n{3}"
      "      </se:FeatureTypeStyle>\n    </UserStyle>\n  </NamedLayer>\n</StyledLayerDescriptor>\n",
      xml_escape(layer), xml_escape(s.name), xml_escape(s.title), rules);
}

Style coverage_share(const std::string& field, const std::string& what_zh, const std::string& what_en) {
  Style s{"default", fmt::format("{} / {}", what_zh, what_en), Geometry::polygon, field, {}, {}, {}, 0.1, {}, {}};
  for (int i = 0; i < 5; ++i) {
    const double lo = i * 0.2, hi = (i + 1) * 0.2;
    s.ranges.push_back({i == 0 ? 0.0 : lo, i == 4 ? 1.0 : hi,
                        fmt::format("{}–{} % 居民覆盖 · residents covered", percent(lo), percent(hi)), kYlGnBu[i]});
  }
  return s;
}

Style difference(const std::string& field, double max_abs, const std::string& what_zh, const std::string& what_en) {
  Style s{"default",
          fmt::format("{}（B − A）/ {} (B − A)", what_zh, what_en),
          Geometry::polygon,
          field,
          {},
          {},
          {},
          0.1,
          {},
          {}};
  // Breaks as fractions of max_abs, the same on both sides of 0.
  const double b[8] = {-1, -0.5, -0.1, -0.01, 0.01, 0.1, 0.5, 1};
  for (int i = 0; i < 7; ++i) {
    const double lo = b[i] * max_abs, hi = b[i + 1] * max_abs;
    std::string label = i == 3  ? fmt::format("{} … {} 无变化 · no change", num(lo), num(hi))
                        : i < 3 ? fmt::format("{} … {} 下降 · lower in B", num(lo), num(hi))
                                : fmt::format("{} … {} 上升 · higher in B", num(lo), num(hi));
    s.ranges.push_back({lo, hi, label, kRdBu[i]});
  }
  return s;
}

Style volume_capacity(const std::string& field) {
  // Saturation (v/c) classes of Chinese traffic-operation reporting: below 0.6 free flowing,
  // 0.6-0.8 mostly free, 0.8-0.9 lightly congested, 0.9-1.0 congested, above 1.0 over capacity.
  Style s{"default", "饱和度 v/c / volume-capacity ratio", Geometry::line, field, {}, {}, {}, 0.5, {}, {}};
  const double b[6] = {0, 0.6, 0.8, 0.9, 1.0, 1000};
  const char* names[5] = {"畅通 · free flow", "基本畅通 · mostly free", "轻度拥堵 · light congestion",
                          "拥堵 · congested", "超饱和 · over capacity"};
  for (int i = 0; i < 5; ++i)
    s.ranges.push_back({b[i], b[i + 1],
                        i == 4 ? fmt::format("> {} {}", num(b[i]), names[i])
                               : fmt::format("{}–{} {}", num(b[i]), num(b[i + 1]), names[i]),
                        kRdYlGn[i]});
  return s;
}

Style facility_classes(const std::string& field, const std::vector<std::string>& classes) {
  Style s{"default", "设施类别 / facility class", Geometry::point, field, {}, {}, {}, 2.4, {}, {}};
  for (std::size_t i = 0; i < classes.size(); ++i) s.categories.push_back({classes[i], classes[i], kPaired[i % 12]});
  return s;
}

Style greenways() {
  return Style{"default", "绿道 / greenways", Geometry::line, {}, {}, {}, {27, 120, 55}, 0.8, {}, {}};
}

Style home_points() {
  return Style{"default", "居住点 / home points", Geometry::point, {}, {}, {}, {90, 90, 90}, 0.8, {}, {}};
}

std::string qgis_metadata(const LayerDoc& d) {
  std::string kw;
  if (!d.keywords.empty()) {
    kw = "  <keywords vocabulary=\"urbantwin\">\n";
    for (const auto& k : d.keywords) kw += "    <keyword>" + xml_escape(k) + "</keyword>\n";
    kw += "  </keywords>\n";
  }
  return fmt::format(
      "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.22.0\">\n"
      "  <identifier>{}</identifier>\n  <parentidentifier></parentidentifier>\n  <language></language>\n  "
      "<type>dataset</type>\n"
      "  <title>{}</title>\n  <abstract>{}</abstract>\n{}  <links/>\n  <fees></fees>\n  <license>{}</license>\n  "
      "<rights>{}</rights>\n"
      "  <encoding></encoding>\n  <extent/>\n</qgis>\n",
      xml_escape(d.identifier), xml_escape(d.title), xml_escape(d.abstract), kw, xml_escape(d.license),
      xml_escape(d.rights));
}

}  // namespace ut::output::styles
