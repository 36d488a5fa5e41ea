// The sweep file loader (sweep.h): a base run config, fixed overrides,
// named points and axes, each point validated as a run config before
// anything runs. yaml-cpp is confined to the loaders (config.cpp,
// sweep_file.cpp, bundle.cpp, cost_library.cpp).
#include <yaml-cpp/yaml.h>

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include <map>

#include "bundle.h"
#include "config.h"
#include "errors.h"
#include "safe_io.h"
#include "sha256.h"
#include "sweep.h"
#include "yaml_util.h"

namespace fs = std::filesystem;

namespace sparq {

namespace {

constexpr std::uint64_t kMaxSweepPoints = 100000;

std::string yaml_text(const YAML::Node& n) {
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

std::vector<std::pair<std::string, std::string>> override_map(const YAML::Node& n, const std::string& file,
                                                              const std::string& key) {
  if (!n.IsMap()) throw InputError(file + ": " + key + ": must be a mapping of key.path: value");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : n) {
    const std::string k = kv.first.as<std::string>();
    out.emplace_back(k, yaml_text(kv.second));
  }
  return out;
}

// sha256 of a file's content, read once per sweep load.
std::string file_sha(const std::string& path, std::uint64_t limit, std::map<std::string, std::string>& cache) {
  auto it = cache.find(path);
  if (it != cache.end()) return it->second;
  const std::string c = read_file_bounded(path, limit, "sweep input");
  return cache[path] = sha256_hex(reinterpret_cast<const std::uint8_t*>(c.data()), c.size());
}

// The content of everything a point's run reads: the cell library, the
// bundle manifest and the arrays of the selected layers. A changed input
// changes the point's id, so a resumed sweep re-runs the point instead of
// keeping the old figures.
std::string input_fingerprint(const RunConfig& cfg, std::map<std::string, std::string>& cache) {
  std::string key = "cost " + file_sha(cfg.cost_library, kMaxYamlBytes, cache) + "\n";
  const BundleManifest m = read_manifest(cfg.bundle);
  key += "manifest " + file_sha(m.manifest_path, kMaxYamlBytes, cache) + "\n";
  std::vector<const LayerInfo*> sel;
  if (cfg.layers.empty())
    for (const auto& l : m.layers) sel.push_back(&l);
  else
    for (const auto& n : cfg.layers) sel.push_back(&m.layer(n));
  for (const LayerInfo* l : sel) {
    const ConvGeometry& g = l->geo;
    const std::uint64_t cout = static_cast<std::uint64_t>(g.C_out);
    std::vector<std::pair<const ArrayRef*, std::uint64_t>> refs = {
        {&l->input,
         static_cast<std::uint64_t>(g.H) * static_cast<std::uint64_t>(g.W) * static_cast<std::uint64_t>(g.C_in)},
        {&l->weights, static_cast<std::uint64_t>(g.KH) * static_cast<std::uint64_t>(g.KW) *
                          static_cast<std::uint64_t>(g.cin_per_group()) * cout},
        {&l->weight_scales, 4 * cout}};
    if (l->bias) refs.emplace_back(&*l->bias, 4 * cout);
    if (l->float_output)
      refs.emplace_back(&*l->float_output,
                        4 * static_cast<std::uint64_t>(g.H_out()) * static_cast<std::uint64_t>(g.W_out()) * cout);
    for (const auto& [r, data_bytes] : refs) {
      const std::string path = (fs::path(m.dir) / r->path).string();
      // Only a file the run could accept is read (its data plus at most a
      // 1 MiB header); any other is named by size and modification time,
      // and the run itself will refuse it with the reason.
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          static_cast<std::uint64_t>(st.st_size) <= data_bytes + (1u << 20) + 12)
        key += r->path + " " + file_sha(path, data_bytes + (1u << 20) + 12, cache) + "\n";
      else
        key += r->path + " unreadable-or-wrong-size " + std::to_string(st.st_size) + " " +
               std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
    }
  }
  return key;
}

}  // namespace

namespace {
SweepSpec load_sweep_impl(const std::string& file, const std::vector<std::string>& cli_set) {
  const YAML::Node root = load_yaml_file(file, "sweep file");
  if (!root.IsMap()) throw InputError(file + ": a sweep file must be a YAML mapping");
  for (const auto& kv : root) {
    const auto k = kv.first.as<std::string>();
    if (k != "base" && k != "set" && k != "axes" && k != "points" && k != "output" && k != "description")
      throw InputError(file + ": " + k + ": is not a known key (known: base, set, points, axes, output, description)");
  }
  SweepSpec spec;
  spec.file = file;
  const YAML::Node base = root["base"];
  if (!base || !(base.IsScalar() || base.IsSequence()))
    throw InputError(file + ": base: is required (a run config path, or a list of them merged in order)");
  auto rel = [&](const YAML::Node& n) {
    if (!n.IsScalar()) throw InputError(file + ": base: must be a path or a list of paths");
    return (fs::path(file).parent_path() / n.as<std::string>()).lexically_normal().string();
  };
  if (base.IsScalar())
    spec.base_configs.push_back(rel(base));
  else
    for (const auto& b : base) spec.base_configs.push_back(rel(b));
  if (root["output"]) spec.output_dir = root["output"].as<std::string>();
  if (root["set"]) spec.fixed = override_map(root["set"], file, "set");

  struct Named {
    std::string name;
    std::vector<std::pair<std::string, std::string>> set;
  };
  std::vector<Named> named;
  if (root["points"]) {
    const YAML::Node pts = root["points"];
    if (!pts.IsSequence() || pts.size() == 0) throw InputError(file + ": points: must be a non-empty list");
    for (std::size_t i = 0; i < pts.size(); ++i) {
      const std::string where = "points." + std::to_string(i);
      if (!pts[i].IsMap()) throw InputError(file + ": " + where + ": must be a mapping {name, set}");
      for (const auto& kv : pts[i]) {
        const auto k = kv.first.as<std::string>();
        if (k != "name" && k != "set")
          throw InputError(file + ": " + where + "." + k + ": is not a known key (known: name, set)");
      }
      Named n;
      n.name = pts[i]["name"] ? pts[i]["name"].as<std::string>() : "";
      if (pts[i]["set"]) n.set = override_map(pts[i]["set"], file, where + ".set");
      named.push_back(std::move(n));
    }
  } else {
    named.push_back({});
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  if (root["axes"]) {
    const YAML::Node ax = root["axes"];
    if (!ax.IsMap()) throw InputError(file + ": axes: must be a mapping of key.path: [values]");
    for (const auto& kv : ax) {
      const auto k = kv.first.as<std::string>();
      if (!kv.second.IsSequence() || kv.second.size() == 0)
        throw InputError(file + ": axes." + k + ": must be a non-empty list of values");
      std::vector<std::string> vals;
      for (const auto& v : kv.second) vals.push_back(yaml_text(v));
      axes.emplace_back(k, vals);
    }
  }
  if (!root["points"] && axes.empty()) throw InputError(file + ": give `points`, `axes` or both");
  // The product is counted before it is built: a few long axes must not
  // exhaust memory or validate for hours.
  {
    std::uint64_t total = named.size();
    for (const auto& ax : axes) {
      total *= ax.second.size();
      if (total > kMaxSweepPoints) break;
    }
    if (total > kMaxSweepPoints)
      throw InputError(file + ": the sweep has more than " + std::to_string(kMaxSweepPoints) +
                       " points (points x the product of the axes' lengths); split it into several sweeps");
  }
  int index = 0;
  for (const auto& n : named) {
    std::vector<std::size_t> ix(axes.size(), 0);
    while (true) {
      SweepPoint p;
      p.index = index++;
      p.overrides = n.set;
      std::string label = n.name;
      for (std::size_t a = 0; a < axes.size(); ++a) {
        p.overrides.emplace_back(axes[a].first, axes[a].second[ix[a]]);
        label += (label.empty() ? "" : " ") + axes[a].first + "=" + axes[a].second[ix[a]];
      }
      if (label.empty())
        for (const auto& kv : n.set) label += (label.empty() ? "" : " ") + kv.first + "=" + kv.second;
      p.label = label;
      spec.points.push_back(std::move(p));
      std::size_t a = 0;
      for (; a < axes.size(); ++a) {
        if (++ix[a] < axes[a].second.size()) break;
        ix[a] = 0;
      }
      if (a == axes.size()) break;
    }
  }
  // Validate every point's configuration now: a bad combination is reported
  // before anything runs, naming the point.
  // A point's id hashes what defines it: the contents of the base files, the
  // sweep's `set` and the point's own overrides (as written, independent of
  // the working directory or the checkout's location), so that a changed sweep
  // never resumes or merges stale results. Every point's configuration is
  // validated now: a bad combination is reported before anything runs.
  std::string base_text;
  for (const auto& b : spec.base_configs) {
    std::error_code ec;
    if (!fs::exists(b, ec)) throw InputError(file + ": base: configuration file not found: " + b);
    base_text += read_file_bounded(b, kMaxYamlBytes, "base configuration") + "\n---\n";
  }
  // Command-line overrides: well-formed, and not of a key the points or axes
  // vary (the point's value would silently win over it).
  for (const auto& s : cli_set) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError("--set " + s + ": expected key.path=value, e.g. --set trace.max_pixels=64");
    const std::string k = s.substr(0, eq);
    for (const auto& p : spec.points)
      for (const auto& kv : p.overrides)
        if (kv.first == k)
          throw InputError("--set " + k + ": " + file + " varies this key (point " + std::to_string(p.index) + ": " +
                           p.label + "); change it in the sweep file's points or axes instead");
  }
  spec.cli_set = cli_set;
  std::map<std::string, std::string> sha_cache;
  for (auto& p : spec.points) {
    std::vector<std::string> ov;
    std::string key = base_text;
    for (const auto& [k, v] : spec.fixed) ov.push_back(sweep_set_arg(spec, k, v)), key += k + "=" + v + "\n";
    if (!cli_set.empty()) key += "--- --set\n";
    for (const auto& s : cli_set) ov.push_back(s), key += s + "\n";
    key += "---\n";
    for (const auto& [k, v] : p.overrides) ov.push_back(sweep_set_arg(spec, k, v)), key += k + "=" + v + "\n";
    try {
      const RunConfig cfg = load_run_config(spec.base_configs, ov);
      key += "---\n" + input_fingerprint(cfg, sha_cache);
    } catch (const InputError& e) {
      throw InputError(file + ": point " + std::to_string(p.index) + " (" + p.label + "): " + e.what());
    }
    char idbuf[16];
    std::snprintf(idbuf, sizeof idbuf, "p%04d-", p.index);
    p.id = idbuf + sha256_hex(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()).substr(0, 12);
  }
  return spec;
}
}  // namespace

SweepSpec load_sweep(const std::string& file, const std::vector<std::string>& cli_set) {
  try {
    return load_sweep_impl(file, cli_set);
  } catch (const YAML::Exception& e) {
    throw InputError(file + ": unexpected YAML structure: " + e.what());
  }
}

std::string sweep_set_arg(const SweepSpec& spec, const std::string& key, const std::string& value) {
  // Input paths in a sweep file resolve against the sweep file's directory.
  if (key == "trace.bundle" || key == "cost.library") {
    std::string path = value;
    try {
      const YAML::Node n = YAML::Load(value);
      if (n.IsScalar()) path = n.as<std::string>();
    } catch (const YAML::Exception&) {
    }
    if (!path.empty() && fs::path(path).is_relative())
      path = (fs::path(spec.file).parent_path() / path).lexically_normal().string();
    return key + "=" + yaml_quote(path);
  }
  return key + "=" + value;
}

}  // namespace sparq
