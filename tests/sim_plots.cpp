// The plots' readability helpers (plots.h) and the HTML report's escaping
// (report_html.h).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "csv.h"
#include "plots.h"
#include "report_html.h"
#include "safe_io.h"

using namespace sparq;

namespace {

std::size_t chars(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The step is 1, 2 or 5 x 10^k; every value a multiple of it; the axis
// covers the data; at most max_ticks + 1 values.
void expect_nice(double lo, double hi, int max_ticks) {
  const plot::Ticks t = plot::nice_ticks(lo, hi, max_ticks);
  SCOPED_TRACE(std::to_string(lo) + ".." + std::to_string(hi));
  const double mant = t.step / std::pow(10.0, std::floor(std::log10(t.step) + 1e-9));
  EXPECT_TRUE(std::fabs(mant - 1) < 1e-6 || std::fabs(mant - 2) < 1e-6 || std::fabs(mant - 5) < 1e-6) << t.step;
  EXPECT_LE(t.lo, lo);
  EXPECT_GE(t.hi, hi);
  ASSERT_GE(t.values.size(), 2u);
  EXPECT_LE(t.values.size(), static_cast<std::size_t>(max_ticks) + 1);
  EXPECT_DOUBLE_EQ(t.values.front(), t.lo);
  EXPECT_NEAR(t.values.back(), t.hi, t.step * 1e-9);
  for (const double v : t.values) EXPECT_NEAR(v / t.step, std::round(v / t.step), 1e-9) << v;
  // Not wastefully wide: the data spans more than a third of the axis.
  if (hi > lo) {
    EXPECT_GT((hi - lo) / (t.hi - t.lo), 0.3);
  }
}

}  // namespace

TEST(PlotTicks, RoundStepsCoveringTheData) {
  const plot::Ticks a = plot::nice_ticks(0, 97, 6);
  EXPECT_DOUBLE_EQ(a.step, 20);
  EXPECT_DOUBLE_EQ(a.hi, 100);
  EXPECT_EQ(a.values, (std::vector<double>{0, 20, 40, 60, 80, 100}));
  const plot::Ticks b = plot::nice_ticks(3.2, 47.9, 6);
  EXPECT_DOUBLE_EQ(b.step, 10);
  EXPECT_DOUBLE_EQ(b.lo, 0);
  EXPECT_DOUBLE_EQ(b.hi, 50);
  for (const auto& [lo, hi] : std::vector<std::pair<double, double>>{
           {0, 97}, {3.2, 47.9}, {0.0013, 0.0087}, {-7, 13}, {0, 1.7e6}, {41.5, 42.25}, {0, 1e-9}, {123456, 123999}})
    for (const int m : {4, 6, 10}) expect_nice(lo, hi, m);
  // A single value still gets an axis around it.
  const plot::Ticks c = plot::nice_ticks(5, 5, 6);
  EXPECT_LE(c.lo, 5);
  EXPECT_GT(c.hi, 5);
  const plot::Ticks z = plot::nice_ticks(0, 0, 6);
  EXPECT_DOUBLE_EQ(z.lo, 0);
  EXPECT_GT(z.hi, 0);
}

TEST(PlotTicks, LabelsWithTheStepsDecimalsOrSiSuffix) {
  EXPECT_EQ(plot::tick_label(40, 20), "40");
  EXPECT_EQ(plot::tick_label(0, 20), "0");
  EXPECT_EQ(plot::tick_label(0.004, 0.002), "0.004");
  EXPECT_EQ(plot::tick_label(0.5, 0.1), "0.5");
  EXPECT_EQ(plot::tick_label(250000, 50000), "250k");
  EXPECT_EQ(plot::tick_label(1.5e6, 5e5), "1.5M");
  EXPECT_EQ(plot::tick_label(2e9, 1e9), "2G");
  EXPECT_EQ(plot::tick_label(-10, 5), "-10");
}

TEST(PlotLabels, ShortenKeepsHeadAndTailAtCharacterBoundaries) {
  EXPECT_EQ(plot::shorten("int8", 10), "int8");
  const std::string s = plot::shorten("design=vsparq rows=8 dataflow=ws / vsparq", 20);
  EXPECT_EQ(chars(s), 20u);
  EXPECT_EQ(s.rfind("design=v", 0), 0u);
  EXPECT_EQ(s.substr(s.size() - 6), "vsparq");
  // Multi-byte characters are never split.
  const std::string greek = "\u03b1\u03b2\u03b3\u03b4\u03b5\u03b6\u03b7\u03b8\u03b9\u03ba\u03bb\u03bc";
  for (std::size_t m = 1; m < 14; ++m) {
    const std::string g = plot::shorten(greek, m);
    EXPECT_TRUE(is_valid_utf8(g)) << m;
    EXPECT_LE(chars(g), m);
  }
}

TEST(PlotLegend, WrapsIntoColumnsWithDistinctLabels) {
  std::vector<std::string> names;
  for (int r : {4, 8, 16, 32, 64})
    for (const char* d : {"int8", "int4", "bsparq", "vsparq", "vsparq_3opt", "bsparq_5opt", "vsparq_rne", "bsparq_lod"})
      names.push_back("array.rows=" + std::to_string(r) + " array.dataflow=ws memory.dram_bandwidth=16 / " + d);
  const plot::LegendLayout L = plot::legend_layout(names, 25, 28);
  EXPECT_EQ(L.rows, 25u);
  EXPECT_EQ(L.columns, 2u);
  ASSERT_EQ(L.labels.size(), names.size());
  std::set<std::string> distinct(L.labels.begin(), L.labels.end());
  EXPECT_EQ(distinct.size(), names.size()) << "shortened legend labels collide";
  std::set<std::pair<std::size_t, std::size_t>> cells;
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_LE(chars(L.labels[i]), 28u) << L.labels[i];
    EXPECT_LT(L.row[i], L.rows);
    EXPECT_LT(L.column[i], L.columns);
    cells.insert({L.column[i], L.row[i]});
  }
  EXPECT_EQ(cells.size(), names.size()) << "two entries in one legend cell";
  const plot::LegendLayout one = plot::legend_layout({"a", "b"}, 25, 28);
  EXPECT_EQ(one.columns, 1u);
  EXPECT_EQ(one.labels, (std::vector<std::string>{"a", "b"}));
}

TEST(PlotLegend, LongNamesKeepTheWordsWhereTheyDiffer) {
  // A long point name, then the axes: the middle cut alone drops "rows=...",
  // the only difference between the entries.
  const std::string point = "<b>x</b> & \"q\" with a very long name indeed";
  std::vector<std::string> names;
  for (const char* r : {"8", "16"})
    for (const char* d : {"ws", "os"})
      names.push_back(point + " array.rows=" + r + " array.dataflow=" + d + " / vsparq-b2");
  names.push_back("int8 array.rows=8 array.dataflow=ws / int8");
  const plot::LegendLayout L = plot::legend_layout(names, 25, 50);
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_LE(chars(L.labels[i]), 50u) << L.labels[i];
    EXPECT_EQ(L.labels[i].find('#'), std::string::npos) << "needed an entry number: " << L.labels[i];
  }
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(L.labels[i].rfind("<b>x", 0), 0u) << L.labels[i];
    EXPECT_NE(L.labels[i].find(i < 2 ? "array.rows=8 " : "array.rows=16 "), std::string::npos) << L.labels[i];
  }
  EXPECT_EQ(L.labels[4], names[4]);
}

TEST(PlotLabels, OverlappingBoxesThinnedEarlierWins) {
  const std::vector<plot::Box> boxes = {{0, 0, 8, 1}, {5, 0, 13, 1}, {10, 0, 18, 1}, {20, 0, 28, 1}, {0, 5, 8, 6}};
  EXPECT_EQ(plot::keep_non_overlapping(boxes, 2), (std::vector<bool>{true, false, true, true, true}));
  EXPECT_EQ(plot::keep_non_overlapping(boxes, 5), (std::vector<bool>{true, false, false, true, false}));
  // Obstacles (markers) always stay, overlapping or not, and block labels.
  const std::vector<plot::Box> marks = {{0, 0, 10, 10}, {5, 5, 15, 15}, {12, 0, 30, 6}, {40, 0, 60, 4}, {41, 0, 50, 4}};
  EXPECT_EQ(plot::keep_non_overlapping(marks, 1, 2), (std::vector<bool>{true, true, false, true, false}));
}

TEST(PlotStyle, DistinctColourMarkerPairsBeyondThePalette) {
  std::set<std::pair<std::string, int>> seen;
  for (std::size_t i = 0; i < plot::kDistinctStyles; ++i) {
    const plot::Style s = plot::series_style(i);
    EXPECT_TRUE(seen.insert({s.color, s.marker}).second) << "series " << i << " repeats a style";
  }
  EXPECT_NE(std::string(plot::series_style(0).color), plot::series_style(1).color);
}

namespace {

CsvTable layer_table(int designs, int layers) {
  CsvTable t;
  for (int d = 0; d < designs; ++d)
    for (int l = 0; l < layers; ++l)
      t.add_row({"label", "design", "layer", "cycles.total [cycle]", "throughput.mult_slot_utilization [%]",
                 "error_vs_int8.sqnr [dB]", "energy.per_mac [pJ/MAC]"},
                {"array.rows=" + std::to_string(8 << (d % 4)) + " point" + std::to_string(d / 4),
                 "design" + std::to_string(d), "conv2d_" + std::to_string(l), std::to_string(1000 * (l + 1) + d),
                 std::to_string(50 + d % 50), std::to_string(30 + l), "0.5"});
  return t;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST(Plots, ManySeriesUseMarkersAndEveryLegendEntryOnce) {
  const auto plots = make_plots({}, layer_table(40, 6));
  std::set<std::string> names;
  for (const auto& [name, svg] : plots) {
    names.insert(name);
    SCOPED_TRACE(name);
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    EXPECT_EQ(count(svg, "<rect x"), 1u) << "40 series: markers, not bars (only the frame is a rect x=...)";
    for (int d = 0; d < 40; ++d) {
      // Exactly one legend entry per series: its full name as the entry's
      // text, or (shortened) as the entry's tooltip.
      // (The sweep label's keys lose their first component: "rows=8".)
      const std::string full =
          "rows=" + std::to_string(8 << (d % 4)) + " point" + std::to_string(d / 4) + " / design" + std::to_string(d);
      EXPECT_EQ(count(svg, ">" + full + "</text>") + count(svg, "<title>" + full + "</title>"), 1u) << full;
    }
  }
  for (const char* n : {"layers_cycles.svg", "layers_mult_utilization.svg", "layers_sqnr.svg", "layers_energy.svg"})
    EXPECT_TRUE(names.count(n)) << n;
  EXPECT_FALSE(names.count("layers_utilization.svg")) << "a plot of a column the table lacks";
  const auto few = make_plots({}, layer_table(3, 4));
  for (const auto& [name, svg] : few)
    EXPECT_EQ(count(svg, "<rect x"), 1u + 3 * 4 + 3) << name << ": grouped bars (frame, bars, legend swatches)";
}

TEST(Plots, ASeriesKeepsItsColourWhereAnotherHasNoValue) {
  // int8 first, as most configurations list it: it has no SQNR against itself.
  CsvTable t;
  for (const char* d : {"int8", "vsparq-5opt", "bsparq-3opt"})
    for (const char* l : {"conv2d_0", "conv2d_1"})
      t.add_row({"design", "layer", "cycles.total [cycle]", "error_vs_int8.sqnr [dB]"},
                {d, l, "100", std::string(d) == "int8" ? "" : "30"});
  std::map<std::string, std::string> svg;
  for (const auto& [name, text] : make_plots({}, t)) svg[name] = text;
  ASSERT_TRUE(svg.count("layers_cycles.svg") && svg.count("layers_sqnr.svg"));
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string fill = std::string("fill='") + plot::series_style(i).color + "'";
    EXPECT_EQ(count(svg["layers_cycles.svg"], fill), 2u + 1) << i << ": two bars and the legend swatch";
    EXPECT_EQ(count(svg["layers_sqnr.svg"], fill), i == 0 ? 0u : 2u + 1) << i << ": the same colour as in cycles";
  }
}

TEST(HtmlReport, EscapesEverythingUserControlled) {
  EXPECT_EQ(html_escape("<script>alert('x')&\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;");
  // The configuration's lines stay lines (each was one U+FFFD, the YAML on one line).
  EXPECT_EQ(html_escape("array:\n\trows: 8\r\x01<\n"), "array:\n\trows: 8\xEF\xBF\xBD\xEF\xBF\xBD&lt;\n");
  HtmlReport r;
  r.title = "<script>throw new Error()</script>";
  r.provenance = {{"bundle", "<img src=x onerror=alert(1)>"}};
  CsvTable t;
  t.add_row({"design", "cycles [cycle]"}, {"<b>evil</b>", "12"});
  r.tables.push_back({"summary", "", t});
  r.config_yaml = "name: </pre><script>x</script>";
  r.files = {"a'b.csv"};
  const std::string html = render_report(r);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;evil&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("<td class='n'>12</td>"), std::string::npos);
  EXPECT_NE(html.find("href='a&#39;b.csv'"), std::string::npos);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
}

TEST(HtmlReport, NumbersShownToFourDigitsWithTheFullValueAsTooltip) {
  HtmlReport r;
  CsvTable t;
  t.add_row({"design", "cycles [cycle]", "mac [1]", "sqnr [dB]", "big [1]", "tiny [1]", "sqnr2 [dB]"},
            {"int8", "226163", "148.898202", "-23.7935861", "123456.78", "1.23456e-07", "null"});
  r.tables.push_back({"summary", "", t});
  const std::string html = render_report(r);
  EXPECT_NE(html.find("<td class='n'>226163</td>"), std::string::npos);  // integers exact
  EXPECT_NE(html.find("<td class='n' title='148.898202'>148.9</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class='n' title='-23.7935861'>-23.79</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class='n' title='123456.78'>123457</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class='n' title='1.23456e-07'>1.235e-07</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>null</td>"), std::string::npos);
}

TEST(Plots, ErrorGrowthHasEveryDesignOnceAndRoundTicks) {
  std::vector<std::string> layers;
  for (int i = 0; i < 60; ++i) layers.push_back("block_" + std::to_string(i) + "/conv");
  std::vector<std::pair<std::string, std::vector<double>>> series;
  for (int k = 0; k < 14; ++k) {
    std::vector<double> v;
    for (int i = 0; i < 60; ++i) v.push_back(i == 3 && k == 0 ? NAN : 45.0 - 0.3 * i - k);
    series.emplace_back("design-" + std::to_string(k), v);
  }
  const std::string svg = error_growth_svg("error growth", layers, series);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  for (int k = 0; k < 14; ++k)
    EXPECT_EQ(count(svg, ">design-" + std::to_string(k) + "</text>"), 1u) << "legend entry of design-" << k;
  EXPECT_EQ(count(svg, "<polyline"), 14u);
  EXPECT_EQ(count(svg, "stroke-dasharray='6,3'"), 2u * 2) << "series 12 and 13: dashed line and legend swatch";
  // y from 10 to 50 in steps of 5 or 10 (data 14.3 .. 45): labels are round.
  EXPECT_NE(svg.find(">50</text>"), std::string::npos);
  EXPECT_NE(svg.find(">10</text>"), std::string::npos);
}
