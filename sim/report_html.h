// report.html: one self-contained page per run, sweep and whole-network
// inference, for people to read in a browser. It holds the provenance (the
// trace bundle's model, image and sha256s, the simulator version), the
// summary tables (the CSV cells: integers unchanged, other numbers to 4
// significant digits with the full value as tooltip; units in the headers),
// per-layer tables, the plots as inline SVG (plots.h), the effective
// configuration and links to the CSV/JSON files beside it. No script, no
// external resource; every text from the user or the data is HTML-escaped.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "csv.h"

namespace sparq {

struct HtmlReport {
  struct Table {
    std::string heading;
    std::string note;
    CsvTable table;
    bool collapsed = false;   // inside a closed <details>
    bool transposed = false;  // one row per column of `table` (a wide table)
  };
  std::string title;
  std::string subtitle;
  std::vector<std::pair<std::string, std::string>> provenance;          // (what, value)
  std::vector<std::pair<std::string, std::string>> provenance_details;  // (summary, preformatted text), collapsed
  std::vector<Table> tables;
  std::vector<std::pair<std::string, std::string>> plots;  // (file name, SVG markup)
  std::string config_heading = "Effective configuration";
  std::string config_yaml;
  std::vector<std::string> files;  // relative links to the result files
};

// Text as HTML character data or attribute value: valid UTF-8 without
// control characters other than line feed and tab, & < > " ' escaped.
std::string html_escape(const std::string& text);

std::string render_report(const HtmlReport& r);

// The columns of t whose header is one of `names` or starts with a name +
// " [" (a unit), in the order of `names`; missing names are left out.
CsvTable select_columns(const CsvTable& t, const std::vector<std::string>& names);

// The key statistics of a summary / layer table (run's and sweep's column
// names), in reading order.
const std::vector<std::string>& summary_key_columns();
const std::vector<std::string>& layer_key_columns();

// Adds the provenance of a trace bundle (manifest: name, model, source,
// image, the manifest's sha256 and every array's) to r; a bundle that
// cannot be read is reported as such, not thrown.
void add_bundle_provenance(HtmlReport& r, const std::string& bundle_dir);

// "sparq-sim <version> (git <describe at configure time>)".
std::string simulator_version();

}  // namespace sparq
