#include "csv.h"

#include "errors.h"
#include "safe_io.h"
#include "stats.h"

namespace sparq {

int CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

int CsvTable::column_prefix(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name || header[i].rfind(name + " [", 0) == 0) return static_cast<int>(i);
  return -1;
}

std::string CsvTable::to_string() const {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_escape(cells[i]);
    out += "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
  return out;
}

void CsvTable::add_row(const std::vector<std::string>& names, const std::vector<std::string>& cells) {
  if (header.empty()) header = names;
  std::vector<std::string> row(header.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const int c = column(names[i]);
    if (c < 0) {
      header.push_back(names[i]);
      for (auto& r : rows) r.push_back("");
      row.push_back(cells[i]);
    } else {
      row[static_cast<std::size_t>(c)] = cells[i];
    }
  }
  rows.push_back(std::move(row));
}

CsvTable parse_csv(const std::string& text, const std::string& name) {
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> cur;
  std::string cell;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    any = true;
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cur.push_back(cell);
      cell.clear();
    } else if (c == '\n') {
      cur.push_back(cell);
      cell.clear();
      lines.push_back(cur);
      cur.clear();
      any = false;
    } else if (c != '\r') {
      cell += c;
    }
  }
  if (quoted) throw InputError(name + ": unterminated quoted CSV field");
  if (any) {
    cur.push_back(cell);
    lines.push_back(cur);
  }
  CsvTable t;
  if (lines.empty()) throw InputError(name + ": empty CSV file");
  t.header = lines[0];
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].size() != t.header.size())
      throw InputError(name + ": line " + std::to_string(i + 1) + " has " + std::to_string(lines[i].size()) +
                       " fields, the header has " + std::to_string(t.header.size()));
    t.rows.push_back(lines[i]);
  }
  return t;
}

CsvTable read_csv(const std::string& path) {
  return parse_csv(read_file_bounded(path, kMaxCsvBytes, "CSV file"), path);
}

}  // namespace sparq
