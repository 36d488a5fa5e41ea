// Named statistics with units and descriptions, grouped by component and
// dumped by walking the hierarchy (docs/architecture.md §6): JSON for machines, flat
// "group.name" columns for CSV.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace sparq {

struct Stat {
  std::string name;
  double value = 0;
  std::string unit;  // "cycle", "MAC", "%", "dB", "um^2", "pJ", "1" (dimensionless) ...
  std::string desc;
  bool integer = false;  // print without decimals
  bool defined = true;   // false: not applicable / infinite (JSON null)
  std::string text;      // for string-valued stats (unit "text")
};

class StatGroup {
 public:
  explicit StatGroup(std::string name = "", std::string desc = "") : name_(std::move(name)), desc_(std::move(desc)) {}

  StatGroup& add(const std::string& name, double value, const std::string& unit, const std::string& desc);
  StatGroup& add_count(const std::string& name, std::uint64_t value, const std::string& unit, const std::string& desc);
  StatGroup& add_text(const std::string& name, const std::string& value, const std::string& desc);
  // A value that may be undefined (e.g. SQNR of an exact result is +inf).
  StatGroup& add_optional(const std::string& name, double value, bool defined, const std::string& unit,
                          const std::string& desc);
  StatGroup& add(Stat s) {
    stats_.push_back(std::move(s));
    return *this;
  }
  StatGroup& child(const std::string& name, const std::string& desc = "");
  StatGroup& adopt(StatGroup g);

  const std::string& name() const { return name_; }
  const std::string& description() const { return desc_; }
  const std::vector<Stat>& stats() const { return stats_; }
  const std::vector<StatGroup>& children() const { return children_; }
  // "a.b.c" lookup; nullptr if absent.
  const Stat* find(const std::string& path) const;

  void write_json(std::ostream& os, int indent = 0) const;
  // Flattened (path, stat) pairs in walk order.
  void flatten(std::vector<std::pair<std::string, const Stat*>>& out, const std::string& prefix = "") const;

 private:
  std::string name_, desc_;
  std::vector<Stat> stats_;
  std::vector<StatGroup> children_;
};

std::string json_escape(const std::string& s);
std::string csv_escape(const std::string& s);
std::string format_number(double v, bool integer);

}  // namespace sparq
