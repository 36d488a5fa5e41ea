#include "stats.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "safe_io.h"

namespace sparq {

StatGroup& StatGroup::add(const std::string& name, double value, const std::string& unit, const std::string& desc) {
  Stat s;
  s.name = name;
  s.value = value;
  s.unit = unit;
  s.desc = desc;
  s.defined = std::isfinite(value);
  stats_.push_back(std::move(s));
  return *this;
}

StatGroup& StatGroup::add_count(const std::string& name, std::uint64_t value, const std::string& unit,
                                const std::string& desc) {
  add(name, static_cast<double>(value), unit, desc);
  stats_.back().integer = true;
  return *this;
}

StatGroup& StatGroup::add_text(const std::string& name, const std::string& value, const std::string& desc) {
  Stat s;
  s.name = name;
  s.unit = "text";
  s.desc = desc;
  s.text = value;
  stats_.push_back(std::move(s));
  return *this;
}

StatGroup& StatGroup::add_optional(const std::string& name, double value, bool defined, const std::string& unit,
                                   const std::string& desc) {
  add(name, value, unit, desc);
  stats_.back().defined = defined && std::isfinite(value);
  return *this;
}

StatGroup& StatGroup::child(const std::string& name, const std::string& desc) {
  for (auto& c : children_)
    if (c.name_ == name) return c;
  children_.emplace_back(name, desc);
  return children_.back();
}

StatGroup& StatGroup::adopt(StatGroup g) {
  children_.push_back(std::move(g));
  return children_.back();
}

const Stat* StatGroup::find(const std::string& path) const {
  const auto dot = path.find('.');
  if (dot == std::string::npos) {
    for (const auto& s : stats_)
      if (s.name == path) return &s;
    return nullptr;
  }
  const std::string head = path.substr(0, dot);
  for (const auto& c : children_)
    if (c.name_ == head) return c.find(path.substr(dot + 1));
  return nullptr;
}

std::string json_escape(const std::string& text) {
  // JSON text is UTF-8: invalid bytes become U+FFFD rather than an invalid file.
  const std::string s = is_valid_utf8(text) ? text : clean_text(text);
  std::string o;
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o;
}

std::string csv_escape(const std::string& text) {
  const std::string s = is_valid_utf8(text) ? text : clean_text(text);
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

std::string format_number(double v, bool integer) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  if (integer && std::fabs(v) < 9.007e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void StatGroup::write_json(std::ostream& os, int indent) const {
  const std::string pad(static_cast<std::size_t>(indent), ' '), pad2(static_cast<std::size_t>(indent + 2), ' ');
  // Keys are unique in every object (names are validated where they enter;
  // a duplicate here is a bug, not bad input).
  std::set<std::string> keys;
  if (!desc_.empty()) keys.insert("_description");
  for (const auto& st : stats_)
    if (!keys.insert(json_escape(st.name)).second)
      throw std::logic_error("results.json: key '" + st.name + "' twice in group '" + name_ + "'");
  for (const auto& c : children_)
    if (!keys.insert(json_escape(c.name_)).second)
      throw std::logic_error("results.json: key '" + c.name_ + "' twice in group '" + name_ + "'");
  os << "{\n";
  bool first = true;
  auto sep = [&] {
    if (!first) os << ",\n";
    first = false;
  };
  if (!desc_.empty()) {
    sep();
    os << pad2 << "\"_description\": \"" << json_escape(desc_) << "\"";
  }
  for (const auto& s : stats_) {
    sep();
    os << pad2 << "\"" << json_escape(s.name) << "\": {\"value\": ";
    if (s.unit == "text")
      os << "\"" << json_escape(s.text) << "\"";
    else
      os << (s.defined ? format_number(s.value, s.integer) : "null");
    os << ", \"unit\": \"" << json_escape(s.unit) << "\", \"description\": \"" << json_escape(s.desc) << "\"}";
  }
  for (const auto& c : children_) {
    sep();
    os << pad2 << "\"" << json_escape(c.name_) << "\": ";
    c.write_json(os, indent + 2);
  }
  os << "\n" << pad << "}";
}

void StatGroup::flatten(std::vector<std::pair<std::string, const Stat*>>& out, const std::string& prefix) const {
  for (const auto& s : stats_) out.emplace_back(prefix + s.name, &s);
  for (const auto& c : children_) c.flatten(out, prefix + c.name_ + ".");
}

}  // namespace sparq
