// The QGIS styles and layer metadata of our GeoPackages (docs/outputs.md): the classes, the QML
// and SLD text, and what a GeoPackage holds once written (read back with GDAL).
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "output/gpkg.hpp"
#include "output/run_dir.hpp"
#include "output/styles.hpp"

namespace st = ut::output::styles;

namespace {
std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto i = s.find(what); i != std::string::npos; i = s.find(what, i + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("coverage classes: five of 20 %, covering 0-1 without gaps, labels in Chinese and English", "[styles]") {
  const auto s = st::coverage_share("cov_15min", "覆盖", "coverage");
  REQUIRE(s.ranges.size() == 5);
  CHECK(s.ranges.front().lower == 0.0);
  CHECK(s.ranges.back().upper == 1.0);
  for (std::size_t i = 1; i < 5; ++i) CHECK(s.ranges[i].lower == s.ranges[i - 1].upper);
  CHECK(s.ranges[2].label == "40–60 % 居民覆盖 · residents covered");
  CHECK(st::hex(s.ranges[0].color) == "#ffffcc");
}

TEST_CASE("difference classes are symmetric around 0 with a no-change class in the middle", "[styles]") {
  const auto s = st::difference("residents_diff", 100, "居民", "residents");
  REQUIRE(s.ranges.size() == 7);
  for (std::size_t i = 0; i < 7; ++i) {
    CHECK(s.ranges[i].lower == -s.ranges[6 - i].upper);
    if (i > 0) CHECK(s.ranges[i].lower == s.ranges[i - 1].upper);
  }
  CHECK(s.ranges.front().lower == -100);
  CHECK(s.ranges[3].lower == -1);
  CHECK(s.ranges[3].upper == 1);
  CHECK(s.ranges[3].label == "-1 … 1 无变化 · no change");
  CHECK(st::hex(s.ranges[3].color) == "#f7f7f7");
}

TEST_CASE("QML: graduated renderer with its ranges and symbols -- time settings only when asked", "[styles]") {
  auto s = st::coverage_share("cov_15min", "覆盖", "coverage");
  std::string q = st::qml(s);
  CHECK(q.rfind("<!DOCTYPE qgis", 0) == 0);
  CHECK(count(q, "type=\"graduatedSymbol\" attr=\"cov_15min\"") == 1);
  CHECK(count(q, "<range ") == 5);
  CHECK(count(q, "<symbol ") == 5);
  CHECK(count(q, "<range lower=\"0.2\" upper=\"0.4\" symbol=\"1\"") == 1);
  CHECK(count(q, "<Option value=\"161,218,180,255\" type=\"QString\" name=\"color\"/>") == 1);
  CHECK(count(q, "<layerGeometryType>2</layerGeometryType>") == 1);
  CHECK(count(q, "<temporal") == 0);
  s.temporal_start = "year_start";
  s.temporal_end = "year_end";
  q = st::qml(s);
  CHECK(count(q, "<temporal enabled=\"1\" mode=\"2\" startField=\"year_start\" endField=\"year_end\"") == 1);
  CHECK(count(q, "limitMode=\"0\"") == 1);

  const auto f = st::qml(st::facility_classes("class", {"clinic", "park"}));
  CHECK(count(f, "type=\"categorizedSymbol\" attr=\"class\"") == 1);
  CHECK(count(f, "<category value=\"park\" symbol=\"1\" label=\"park\"") == 1);
  CHECK(count(f, "<layerGeometryType>0</layerGeometryType>") == 1);
  const auto g = st::qml(st::greenways());
  CHECK(count(g, "type=\"singleSymbol\"") == 1);
  CHECK(count(g, "class=\"SimpleLine\"") == 1);
}

TEST_CASE("SLD: one rule per class, the first including its lower bound, the next ones not", "[styles]") {
  const auto x = st::sld(st::volume_capacity("voc"), "links");
  CHECK(count(x, "<se:Rule>") == 5);
  CHECK(count(x, "PropertyIsGreaterThanOrEqualTo><ogc:PropertyName>voc</ogc:PropertyName><ogc:Literal>0<") == 1);
  CHECK(count(x, "<ogc:PropertyIsGreaterThan><ogc:PropertyName>voc</ogc:PropertyName><ogc:Literal>0.6<") == 1);
  CHECK(count(x, "<se:LineSymbolizer>") == 5);
  CHECK(count(x, "<se:Name>links</se:Name>") == 1);
}

TEST_CASE("XML text is escaped in styles and metadata", "[styles]") {
  CHECK(st::xml_escape("a<b & \"c\" 'd'") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;");
  const auto m = st::qgis_metadata({"id", "T<1>", "A & B", "© OpenStreetMap contributors", "ODbL", {}});
  CHECK(count(m, "<title>T&lt;1&gt;</title>") == 1);
  CHECK(count(m, "<abstract>A &amp; B</abstract>") == 1);
  CHECK(count(m, "<rights>© OpenStreetMap contributors</rights>") == 1);
}

TEST_CASE("a GeoPackage holds the default style, QGIS metadata with the rights, field units and Booleans", "[styles]") {
  const auto dir = std::filesystem::temp_directory_path() / ("ut_styles_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "t.gpkg";
  {
    ut::output::detail::Gpkg g(file);
    OGRSpatialReference srs;
    srs.importFromEPSG(32648);
    OGRLayer* l = g.layer("parcels", &srs, wkbPoint);
    g.field(l, "cov_15min", OFTReal);
    g.field(l, "park_beyond_bound", OFTInteger, OFSTBoolean);
    OGRFeature f(l->GetLayerDefn());
    f.SetField(0, 0.5);
    f.SetField(1, 1);
    OGRPoint p(1, 2);
    f.SetGeometry(&p);
    g.add(l, f, "feature");
    g.describe(
        l, {"parcels", "Parcels 2035", "Parcels at the end of the run, 2035.", ut::output::kAttribution, "ODbL", {}},
        {{"cov_15min", "share 0-1", "coverage"}});
    g.style(l, st::coverage_share("cov_15min", "覆盖", "coverage"));
    g.commit();
  }
  auto ds = std::unique_ptr<GDALDataset>(GDALDataset::Open(file.string().c_str(), GDAL_OF_VECTOR));
  REQUIRE(ds);
  OGRLayer* l = ds->GetLayerByName("parcels");
  REQUIRE(l);
  CHECK(std::string(l->GetMetadataItem("IDENTIFIER")) == "Parcels 2035");
  CHECK(std::string(l->GetMetadataItem("DESCRIPTION")) == "Parcels at the end of the run, 2035.");
  // QGIS reads the layer's metadata from the records GDAL shows as GPKG_METADATA_ITEM_n.
  const char* md = l->GetMetadataItem("GPKG_METADATA_ITEM_1");
  REQUIRE(md);
  CHECK(count(md, "<rights>© OpenStreetMap contributors.") == 1);
  CHECK(l->GetLayerDefn()->GetFieldDefn(1)->GetSubType() == OFSTBoolean);

  OGRLayer* s = ds->GetLayerByName("layer_styles");
  REQUIRE(s);
  REQUIRE(s->GetFeatureCount() == 1);
  std::unique_ptr<OGRFeature> row(s->GetNextFeature());
  CHECK(std::string(row->GetFieldAsString("f_table_name")) == "parcels");
  CHECK(std::string(row->GetFieldAsString("f_geometry_column")) == "geom");
  CHECK(row->GetFieldAsInteger("useAsDefault") == 1);
  CHECK(count(row->GetFieldAsString("styleQML"), "<range ") == 5);
  CHECK(count(row->GetFieldAsString("styleSLD"), "<se:Rule>") == 5);
  CHECK(std::string(row->GetFieldAsString("update_time")) == "2000/01/01 00:00:00+00");

  OGRLayer* dc = ds->ExecuteSQL(
      "SELECT title, description FROM gpkg_data_columns WHERE table_name = 'parcels' AND column_name = 'cov_15min'",
      nullptr, nullptr);
  REQUIRE(dc);
  std::unique_ptr<OGRFeature> d(dc->GetNextFeature());
  REQUIRE(d);
  CHECK(std::string(d->GetFieldAsString(0)) == "share 0-1");
  ds->ReleaseResultSet(dc);
  ds.reset();
  std::filesystem::remove_all(dir);
}
