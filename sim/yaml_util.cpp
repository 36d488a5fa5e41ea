#include "yaml_util.h"

#include <set>

#include "errors.h"
#include "safe_io.h"

namespace sparq {

void check_duplicate_keys(const YAML::Node& n, const std::string& name) {
  if (n.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar())
        throw InputError(name + ": line " + std::to_string(kv.first.Mark().line + 1) +
                         ": mapping keys must be plain scalars");
      const std::string k = kv.first.Scalar();
      if (!seen.insert(k).second)
        throw InputError(name + ": line " + std::to_string(kv.first.Mark().line + 1) + ": key '" + k +
                         "' appears twice in one mapping");
      check_duplicate_keys(kv.second, name);
    }
  } else if (n.IsSequence()) {
    for (const auto& e : n) check_duplicate_keys(e, name);
  }
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
