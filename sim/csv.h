// Minimal CSV table: RFC 4180 quoting, header row, string cells. Used for
// per-layer results and for merging sweep points.
#pragma once

#include <string>
#include <vector>

namespace sparq {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  int column(const std::string& name) const;  // -1 if absent
  // Column whose header is `name` or starts with `name + " ["` (unit suffix).
  int column_prefix(const std::string& name) const;
  std::string to_string() const;
  // Appends a row given with its own column names: cells go under the
  // matching columns, unknown names become new columns (empty in earlier
  // rows), columns the row lacks stay empty.
  void add_row(const std::vector<std::string>& names, const std::vector<std::string>& cells);
};

// Throws InputError naming the file on malformed content.
CsvTable parse_csv(const std::string& text, const std::string& name);
CsvTable read_csv(const std::string& path);

}  // namespace sparq
