#include "report_html.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <sstream>

#include "bundle.h"
#include "safe_io.h"
#include "sha256.h"

#ifndef SPARQ_VERSION
#define SPARQ_VERSION "unknown"
#endif
#ifndef SPARQ_GIT_DESCRIBE
#define SPARQ_GIT_DESCRIBE ""
#endif

namespace fs = std::filesystem;

namespace sparq {

std::string html_escape(const std::string& text) {
  // Line breaks and tabs are character data too (the <pre> blocks: the
  // configuration, the bundle's files); other control characters are not.
  return xml_escape(text, true);
}

std::string simulator_version() {
  const std::string git = SPARQ_GIT_DESCRIBE;
  return std::string("sparq-sim ") + SPARQ_VERSION + (git.empty() ? "" : " (git " + git + " when configured)");
}

CsvTable select_columns(const CsvTable& t, const std::vector<std::string>& names) {
  std::vector<int> cols;
  CsvTable o;
  for (const auto& n : names) {
    const int c = t.column(n) >= 0 ? t.column(n) : t.column_prefix(n);
    if (c < 0) continue;
    cols.push_back(c);
    o.header.push_back(t.header[static_cast<std::size_t>(c)]);
  }
  for (const auto& r : t.rows) {
    std::vector<std::string> row;
    for (const int c : cols)
      row.push_back(static_cast<std::size_t>(c) < r.size() ? r[static_cast<std::size_t>(c)] : "");
    o.rows.push_back(std::move(row));
  }
  return o;
}

const std::vector<std::string>& summary_key_columns() {
  static const std::vector<std::string> k = {"point",
                                             "label",
                                             "design",
                                             "rows",
                                             "cols",
                                             "dataflow",
                                             "dram_bandwidth",
                                             "layers_in_total",
                                             "cycles.total",
                                             "cycles.stall",
                                             "throughput.macs_per_cycle",
                                             "throughput.pe_utilization",
                                             "throughput.mult_slot_utilization",
                                             "throughput.gmacs_per_s",
                                             "error_vs_int8.sqnr",
                                             "error_vs_int8.relative_l2",
                                             "error_vs_float.relative_l2",
                                             "energy.per_mac",
                                             "energy.total",
                                             "area.array"};
  return k;
}

const std::vector<std::string>& layer_key_columns() {
  static const std::vector<std::string> k = {"label",
                                             "design",
                                             "layer",
                                             "geometry",
                                             "skipped",
                                             "cycles.total",
                                             "throughput.macs_per_cycle",
                                             "throughput.pe_utilization",
                                             "throughput.mult_slot_utilization",
                                             "error_vs_int8.sqnr",
                                             "error_vs_float.relative_l2",
                                             "energy.per_mac",
                                             "energy.total"};
  return k;
}

void add_bundle_provenance(HtmlReport& r, const std::string& bundle_dir) {
  try {
    // One read: the text parsed is the text hashed.
    fs::path manifest(bundle_dir);
    std::error_code ec;
    if (fs::is_directory(manifest, ec)) manifest /= "manifest.yaml";
    const std::string text = read_file_bounded(manifest.string(), kMaxYamlBytes, "trace bundle manifest");
    const BundleManifest m = parse_manifest(text, manifest.string());
    r.provenance.push_back({"trace bundle", m.name + " (" + fs::absolute(m.dir).lexically_normal().string() + ")"});
    r.provenance.push_back({"model", m.model_name + (m.pretrained ? " (pretrained)" : " (untrained weights)")});
    if (!m.model_source.empty()) r.provenance.push_back({"model source", m.model_source});
    if (!m.image_path.empty()) r.provenance.push_back({"input image", m.image_path});
    r.provenance.push_back(
        {"manifest sha256",
         sha256_hex(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()) + " (" + m.manifest_path + ")"});
    std::ostringstream arrays;
    arrays << "layer  op  array  sha256  path\n";
    for (const auto& L : m.layers) {
      auto line = [&](const char* what, const ArrayRef& a) {
        arrays << L.name << "  " << L.op << "  " << what << "  " << (a.sha256.empty() ? "(none)" : a.sha256) << "  "
               << a.path << "\n";
      };
      line("input", L.input);
      line("weights", L.weights);
      line("weight_scales", L.weight_scales);
      if (L.bias) line("bias", *L.bias);
      if (L.float_output) line("float_output", *L.float_output);
    }
    r.provenance_details.push_back(
        {"the bundle's arrays and their sha256s (" + std::to_string(m.layers.size()) + " layers)", arrays.str()});
  } catch (const std::exception& e) {
    r.provenance.push_back({"trace bundle", bundle_dir + " (manifest not readable now: " + e.what() + ")"});
  }
}

namespace {

const char* kStyle =
    "body{font-family:sans-serif;margin:1.5em auto;max-width:1500px;padding:0 1em;color:#222;line-height:1.35}"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;font-size:.85em;margin:.5em 0}"
    "th,td{border:1px solid #ccc;padding:2px 6px}th{background:#f0f0f0;position:sticky;top:0}"
    "td{white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}tr:nth-child(even) "
    "td{background:#fafafa}"
    ".scroll{overflow-x:auto;max-width:100%}.plot{margin:1em 0}.plot svg{max-width:none;display:block}"
    "pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}"
    "dl.prov{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dl.prov dt{font-weight:bold}"
    "dl.prov dd{margin:0;word-break:break-all}.note{color:#555;font-size:.9em}";

bool numeric(const std::string& v) {
  if (v.empty()) return false;
  char* end = nullptr;
  std::strtod(v.c_str(), &end);
  return end && *end == '\0';
}

// What a numeric cell shows: integers as they are (cycle counts stay exact),
// other numbers to 4 significant digits (whole numbers from 10^4 up); the
// CSV's full value is the cell's tooltip.
std::string shown_number(const std::string& v) {
  if (v.find_first_not_of("+-0123456789") == std::string::npos) return v;
  const double x = std::strtod(v.c_str(), nullptr);
  if (!std::isfinite(x)) return v;
  char buf[64];
  std::snprintf(buf, sizeof buf, std::fabs(x) >= 1e4 ? "%.0f" : "%.4g", x);
  return buf;
}

void cell_html(std::ostringstream& o, const std::string& v) {
  if (!numeric(v)) {
    o << "<td>" << html_escape(v) << "</td>";
    return;
  }
  const std::string shown = shown_number(v);
  if (shown == v)
    o << "<td class='n'>" << html_escape(v) << "</td>";
  else
    o << "<td class='n' title='" << html_escape(v) << "'>" << html_escape(shown) << "</td>";
}

// A column name that may wrap after each '.' of its statistic path (narrower columns).
std::string breakable(const std::string& escaped) {
  std::string o;
  for (const char c : escaped) o += c == '.' ? std::string(".<wbr>") : std::string(1, c);
  return o;
}

void table_html(std::ostringstream& o, const CsvTable& t, bool transposed) {
  o << "<div class='scroll'><table>\n";
  if (!transposed) {
    o << "<thead><tr>";
    for (const auto& h : t.header) o << "<th>" << breakable(html_escape(h)) << "</th>";
    o << "</tr></thead>\n<tbody>\n";
    for (const auto& r : t.rows) {
      o << "<tr>";
      for (std::size_t c = 0; c < t.header.size(); ++c) {
        cell_html(o, c < r.size() ? r[c] : "");
      }
      o << "</tr>\n";
    }
  } else {
    // One row per statistic; one column per CSV row.
    o << "<tbody>\n";
    for (std::size_t c = 0; c < t.header.size(); ++c) {
      o << "<tr><th>" << html_escape(t.header[c]) << "</th>";
      for (const auto& r : t.rows) {
        cell_html(o, c < r.size() ? r[c] : "");
      }
      o << "</tr>\n";
    }
  }
  o << "</tbody></table></div>\n";
}

void table_section(std::ostringstream& o, const HtmlReport::Table& t) {
  const std::string rows = std::to_string(t.table.rows.size()) + (t.table.rows.size() == 1 ? " row" : " rows");
  if (t.collapsed)
    o << "<details><summary><strong>" << html_escape(t.heading) << "</strong> (" << rows << ")</summary>\n";
  else
    o << "<h3>" << html_escape(t.heading) << "</h3>\n";
  if (!t.note.empty()) o << "<p class='note'>" << html_escape(t.note) << "</p>\n";
  table_html(o, t.table, t.transposed);
  if (t.collapsed) o << "</details>\n";
}

std::string anchor(const std::string& name) {
  std::string a = "plot-";
  for (const char c : name) a += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return a;
}

}  // namespace

std::string render_report(const HtmlReport& r) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
       "<meta name='viewport' content='width=device-width, initial-scale=1'>\n<title>"
    << html_escape(r.title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  o << "<h1>" << html_escape(r.title) << "</h1>\n";
  if (!r.subtitle.empty()) o << "<p class='note'>" << html_escape(r.subtitle) << "</p>\n";
  // Contents.
  o << "<p>";
  if (!r.tables.empty()) o << "<a href='#tables'>summary</a> &middot; ";
  if (!r.plots.empty()) o << "<a href='#plots'>plots</a> &middot; ";
  if (std::any_of(r.tables.begin(), r.tables.end(), [](const HtmlReport::Table& t) { return t.collapsed; }))
    o << "<a href='#details'>detailed tables</a> &middot; ";
  o << "<a href='#config'>configuration</a> &middot; <a href='#files'>files</a></p>\n";
  o << "<h2 id='provenance'>Provenance</h2>\n<dl class='prov'>\n";
  for (const auto& [k, v] : r.provenance) o << "<dt>" << html_escape(k) << "</dt><dd>" << html_escape(v) << "</dd>\n";
  o << "<dt>simulator</dt><dd>" << html_escape(simulator_version()) << "</dd>\n</dl>\n";
  for (const auto& [summary, text] : r.provenance_details)
    o << "<details><summary>" << html_escape(summary) << "</summary><pre>" << html_escape(text) << "</pre></details>\n";
  // The open tables (the summaries), the plots, then the collapsed (long) tables.
  auto tables = [&](bool collapsed) {
    for (const auto& t : r.tables)
      if (t.collapsed == collapsed) table_section(o, t);
  };
  if (!r.tables.empty()) o << "<h2 id='tables'>Summary</h2>\n";
  tables(false);
  if (!r.plots.empty()) {
    o << "<h2 id='plots'>Plots</h2>\n<p>";
    for (std::size_t i = 0; i < r.plots.size(); ++i)
      o << (i ? " &middot; " : "") << "<a href='#" << anchor(r.plots[i].first) << "'>" << html_escape(r.plots[i].first)
        << "</a>";
    o << "</p>\n";
    // The SVG markup is plots.h's: its text is already XML-escaped.
    for (const auto& [name, svg] : r.plots)
      o << "<figure class='plot' id='" << anchor(name) << "'><div class='scroll'>\n"
        << svg << "</div><figcaption class='note'>" << html_escape(name) << "</figcaption></figure>\n";
  }
  if (std::any_of(r.tables.begin(), r.tables.end(), [](const HtmlReport::Table& t) { return t.collapsed; }))
    o << "<h2 id='details'>Detailed tables</h2>\n";
  tables(true);
  o << "<h2 id='config'>" << html_escape(r.config_heading) << "</h2>\n<pre>" << html_escape(r.config_yaml)
    << "</pre>\n";
  o << "<h2 id='files'>Files</h2>\n<ul>\n";
  for (const auto& f : r.files) o << "<li><a href='" << html_escape(f) << "'>" << html_escape(f) << "</a></li>\n";
  o << "</ul>\n</body>\n</html>\n";
  return o.str();
}

}  // namespace sparq
