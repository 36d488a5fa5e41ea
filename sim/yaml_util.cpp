#include "yaml_util.h"

#include <set>

#include "errors.h"
#include "safe_io.h"

namespace sparq {

namespace {

constexpr int kMaxDepth = 64;  // configurations and manifests nest a few levels

std::string at_line(const std::string& name, const YAML::Node& n) {
  return name + ": line " + std::to_string(n.Mark().line + 1) + ": ";
}

// Mappings and sequences are known by their position in the text: an alias
// is the anchored node itself. `open`: the nodes being checked (an alias to
// one of them is a cycle, which would recurse forever here and in every
// reader); `done`: those checked (shared through aliases, checked once).
void check_node(const YAML::Node& n, const std::string& name, std::set<int>& open, std::set<int>& done, int depth) {
  if (!n.IsMap() && !n.IsSequence()) return;
  const int pos = n.Mark().pos;
  if (pos >= 0 && open.count(pos))
    throw InputError(at_line(name, n) + "an alias refers to a node that contains it (a recursive structure)");
  if (pos >= 0 && done.count(pos)) return;
  if (depth > kMaxDepth)
    throw InputError(at_line(name, n) + "nested more than " + std::to_string(kMaxDepth) + " levels deep");
  if (pos >= 0) open.insert(pos);
  if (n.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) throw InputError(at_line(name, kv.first) + "mapping keys must be plain scalars");
      const std::string k = kv.first.Scalar();
      if (!seen.insert(k).second)
        throw InputError(at_line(name, kv.first) + "key '" + k + "' appears twice in one mapping");
      check_node(kv.second, name, open, done, depth + 1);
    }
  } else {
    for (const auto& e : n) check_node(e, name, open, done, depth + 1);
  }
  if (pos >= 0) open.erase(pos), done.insert(pos);
}

}  // namespace

void check_duplicate_keys(const YAML::Node& n, const std::string& name) {
  std::set<int> open, done;
  check_node(n, name, open, done, 0);
}

YAML::Node load_yaml_text(const std::string& text, const std::string& name) {
  YAML::Node n;
  try {
    n = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(name + ": malformed YAML: " + e.what());
  }
  check_duplicate_keys(n, name);
  return n;
}

YAML::Node load_yaml_file(const std::string& path, const std::string& what) {
  return load_yaml_text(read_file_bounded(path, kMaxYamlBytes, what), path);
}

bool is_decimal_integer(const std::string& t) {
  std::size_t i = 0;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
  if (i >= t.size()) return false;
  if (t[i] == '0' && i + 1 < t.size()) return false;
  for (; i < t.size(); ++i)
    if (t[i] < '0' || t[i] > '9') return false;
  return true;
}

}  // namespace sparq
