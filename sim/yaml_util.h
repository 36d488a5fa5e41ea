// YAML loading shared by the loaders (config, sweep file, bundle manifest,
// cell library): bounded reads of regular files only, and documents with a
// key twice in one mapping refused (yaml-cpp keeps both; lookups would take
// the first, merges the last). Only the loaders include this header.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace sparq {

// Reads and parses path (what names the file's role in errors); throws
// InputError naming the file on a non-regular or oversized file, malformed
// YAML or a duplicate key.
YAML::Node load_yaml_file(const std::string& path, const std::string& what);
// Parses text (name labels errors), with the same checks.
YAML::Node load_yaml_text(const std::string& text, const std::string& name);
// Throws InputError "<name>: line L: key 'k' appears twice in one mapping";
// also for an alias to a node containing it (a cycle) and nesting deeper
// than 64 levels.
void check_duplicate_keys(const YAML::Node& n, const std::string& name);

// True if a scalar is a plain decimal integer: optional sign, no leading
// zeros ("010" is octal 8 to YAML 1.1 readers, "0x10" hex), no spaces.
bool is_decimal_integer(const std::string& text);

}  // namespace sparq
