// Sweeps: a sweep file names a base run config and axes whose cartesian
// product (optionally times a list of named points) is simulated, each point
// in its own `sparq-sim run` process (SystemC allows one simulation per
// process), `jobs` at a time. Points stream to disk as they finish; a point
// whose summary.csv exists is done, so an interrupted sweep resumes where it
// stopped. `shard i/N` runs one slice; `merge` combines slices.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace sparq {

struct SweepPoint {
  int index = 0;
  std::string id;     // "p0007-<hash>": stable for the same overrides
  std::string label;  // human-readable, e.g. "pe.design=vsparq pe.shift_set=3opt"
  std::vector<std::pair<std::string, std::string>> overrides;  // key.path, YAML value
};

struct SweepSpec {
  std::string file;
  std::vector<std::string> base_configs;                   // run config files (resolved), merged in order
  std::string output_dir;                                  // `output:` of the sweep file ("" = results/<file stem>)
  std::vector<std::pair<std::string, std::string>> fixed;  // `set:` overrides for every point
  // `sweep --set key.path=value` arguments, applied to every point after
  // `fixed` and before the point's own overrides; paths in them resolve
  // against the current directory (as `run --set`). Part of every point's id.
  std::vector<std::string> cli_set;
  std::vector<SweepPoint> points;
};

// Parses and validates a sweep file; every point's config is validated too,
// so a bad combination is reported before anything runs. `cli_set` are
// `--set key.path=value` arguments from the command line (SweepSpec::cli_set);
// a key the sweep's points or axes vary is refused.
SweepSpec load_sweep(const std::string& file, const std::vector<std::string>& cli_set = {});

// The `--set` argument for one of the sweep's overrides: input paths
// (trace.bundle, cost.library) resolve against the sweep file's directory.
std::string sweep_set_arg(const SweepSpec& spec, const std::string& key, const std::string& value);

// The point list as written into every sweep output directory (points.csv),
// so that `merge` needs only the result directories.
std::string points_csv(const std::vector<SweepPoint>& points);
std::vector<SweepPoint> read_points_csv(const std::string& path);

// Writes `sweep_summary.csv`, `sweep_layers.csv` and the plots into out_dir
// from the point results found under the given directories; returns the ids
// of points with no result. With missing points and !allow_missing nothing
// is written.
// Prints a merged sweep_summary.csv as a table: one row per point and
// design with cycles, MAC/cycle, error, energy and area (run's table names).
void print_sweep_table(const std::string& summary_csv, std::ostream& out);

std::vector<std::string> merge_sweep(const std::vector<SweepPoint>& points, const std::vector<std::string>& dirs,
                                     const std::string& out_dir, bool allow_missing);

}  // namespace sparq
