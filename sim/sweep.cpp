#include "sweep.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sched.h>
#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "atomic_file.h"
#include "cli.h"
#include "csv.h"
#include "errors.h"
#include "plots.h"
#include "report_html.h"
#include "safe_io.h"
#include "yaml_util.h"

extern char** environ;

namespace fs = std::filesystem;
namespace po = boost::program_options;

namespace sparq {

std::string points_csv(const std::vector<SweepPoint>& points) {
  CsvTable t;
  t.header = {"index", "id", "label", "overrides"};
  for (const auto& p : points) {
    std::string ov;
    for (const auto& [k, v] : p.overrides) ov += (ov.empty() ? "" : "\n") + k + "=" + v;
    t.rows.push_back({std::to_string(p.index), p.id, p.label, ov});
  }
  return t.to_string();
}

std::vector<SweepPoint> read_points_csv(const std::string& path) {
  const CsvTable t = read_csv(path);
  if (t.header != std::vector<std::string>{"index", "id", "label", "overrides"})
    throw InputError(path + ": not a sweep points.csv (expected columns index,id,label,overrides)");
  std::vector<SweepPoint> out;
  for (const auto& r : t.rows) {
    SweepPoint p;
    try {
      p.index = std::stoi(r[0]);
    } catch (const std::exception&) {
      throw InputError(path + ": index '" + r[0] + "' is not an integer");
    }
    p.id = r[1];
    p.label = r[2];
    std::stringstream ss(r[3]);
    std::string line;
    while (std::getline(ss, line))
      if (auto eq = line.find('='); eq != std::string::npos)
        p.overrides.emplace_back(line.substr(0, eq), line.substr(eq + 1));
    out.push_back(std::move(p));
  }
  return out;
}

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int) {
  g_interrupted = 1;
}

std::string point_dir(const std::string& out, const SweepPoint& p) {
  return (fs::path(out) / "points" / p.id).string();
}

// A point is done when its directory holds one complete result set
// (atomic_file.h): a run killed half-way through writing, or files of two
// runs side by side, do not count.
bool point_done(const std::string& dir) {
  return result_set_complete(dir);
}

std::string self_exe(const std::string& argv0) {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? argv0 : p.string();
}

struct Running {
  pid_t pid;
  const SweepPoint* point;
  std::chrono::steady_clock::time_point start;
};

pid_t spawn_point(const std::string& exe, const SweepSpec& spec, const SweepPoint& p, const std::string& dir) {
  ensure_own_directory(dir);
  std::vector<std::string> args = {exe, "run"};
  args.insert(args.end(), spec.base_configs.begin(), spec.base_configs.end());
  args.insert(args.end(), {"--quiet", "--out", dir});
  for (const auto& [k, v] : spec.fixed) args.insert(args.end(), {"--set", sweep_set_arg(spec, k, v)});
  for (const auto& c : spec.cli_set) args.insert(args.end(), {"--set", c});
  for (const auto& [k, v] : p.overrides) args.insert(args.end(), {"--set", sweep_set_arg(spec, k, v)});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string log = (fs::path(dir) / "run.log").string();
  // A fresh file, never through a symlink planted in a shared directory.
  if (::unlink(log.c_str()) != 0 && errno != ENOENT)
    throw InputError(log + ": cannot replace the point's log (" + errno_text(errno) + ")");
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + exe + ": " + std::strerror(rc));
  return pid;
}

std::string last_line(const std::string& file) {
  std::ifstream in(file);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

// Why a point's process failed: its last log line, and how it ended.
std::string failure_reason(int status, const std::string& dir) {
  const std::string log = (fs::path(dir) / "run.log").string();
  std::string last = last_line(log);
  std::string how;
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    how = "killed by signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")";
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    how = "exited with status " + std::to_string(WEXITSTATUS(status));
  } else {
    how = "exited 0 but left no complete result set";
  }
  return last.empty() ? how + ", no message (log: " + log + ")" : last + " [" + how + "]";
}

// A sweep output directory belongs to one sweep file (by its canonical
// path), recorded in OUT/sweep_owner.txt; another sweep is refused, so two
// sweeps never mix their points and summaries in one directory.
void claim_sweep_dir(const std::string& out_dir, const std::string& sweep_file) {
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(fs::absolute(sweep_file), ec);
  if (ec) canon = fs::absolute(sweep_file).lexically_normal();
  const std::string owner_file = (fs::path(out_dir) / "sweep_owner.txt").string();
  const std::string want = "sweep " + canon.string() + "\n";
  std::error_code ec2;
  const bool had_points = fs::exists(fs::path(out_dir) / "points.csv", ec2);
  // (points.csv checked first: a concurrent shard writes the owner record before points.csv.)
  if (::access(owner_file.c_str(), F_OK) == 0) {
    const std::string have = read_file_bounded(owner_file, 1 << 16, "sweep owner record");
    if (have != want)
      throw InputError(out_dir + ": belongs to another sweep (" + have.substr(0, have.size() ? have.size() - 1 : 0) +
                       ", see " + owner_file + "); use another --out, or remove the directory");
    return;
  }
  if (had_points)
    throw InputError(out_dir +
                     ": holds a sweep's points.csv but no sweep_owner.txt (written by another sweep or "
                     "an older version); use another --out, or remove the directory");
  write_file_atomic(owner_file, want);
}

std::string fmt_duration(double s) {
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.0fs", s);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return buf;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 6 && s.find_first_not_of("0123456789") == std::string::npos;
}

std::pair<int, int> parse_shard(const std::string& s) {
  const auto slash = s.find('/');
  try {
    // Exactly two plain decimal numbers: "1/2/3", "1/2x" or " 1/2" are refused.
    if (slash == std::string::npos || !all_digits(s.substr(0, slash)) || !all_digits(s.substr(slash + 1)))
      throw std::invalid_argument("");
    const int i = std::stoi(s.substr(0, slash)), n = std::stoi(s.substr(slash + 1));
    if (n < 1 || i < 0 || i >= n) throw std::invalid_argument("");
    return {i, n};
  } catch (const std::exception&) {
    throw InputError("--shard " + s + ": expected i/N with 0 <= i < N (e.g. --shard 0/4)");
  }
}

}  // namespace

int cmd_sweep(const std::vector<std::string>& args, const std::string& self, std::ostream& out, std::ostream& err) {
  po::options_description opts("sparq-sim sweep SWEEP.yaml [options]");
  std::string file, out_dir, shard;
  std::vector<std::string> sets;
  int jobs = 1;
  opts.add_options()("help,h", "this help")("out,o", po::value(&out_dir),
                                            "output directory (default: the sweep's output.dir)")(
      "jobs,j", po::value(&jobs)->default_value(0),
      "points simulated at once, each in its own process (0: one per available core; 1 with --shard)")(
      "shard", po::value(&shard), "run only slice i of N (i/N, 0-based): point index % N == i; combine with merge")(
      "set", po::value(&sets)->composing(),
      "key.path=value for every point, after the sweep file's own `set` (repeatable; paths relative to the current "
      "directory; part of each point's id, so give the same --set to resume or to every shard)")(
      "no-progress", "no live progress line")("dry-run", "list the points and exit");
  std::vector<std::string> pos;
  const po::variables_map vm = parse_command(args, opts, &pos, 1);
  if (!pos.empty()) file = pos.front();
  if (vm.count("help")) {
    out << opts
        << "\nA sweep file:\n"
           "  base: default.yaml            # run config (relative to the sweep file)\n"
           "  set: {trace.layers: [conv2d_2]}  # overrides for every point (optional)\n"
           "  output: results/sweep         # default output directory (optional)\n"
           "  points:                       # named points (optional) ...\n"
           "    - {name: int8, set: {pe.design: int8}}\n"
           "  axes:                         # ... times the cartesian product of axes (optional)\n"
           "    array.rows: [16, 32]\n"
           "Results: OUT/points/<id>/ per point, OUT/sweep_summary.csv, OUT/sweep_layers.csv, OUT/plots/*.svg.\n"
           "Re-running the same command resumes: finished points are kept.\n"
           "Cluster: run `sweep FILE --shard i/N --out DIR` for i in 0..N-1 (Slurm array, GNU parallel), then\n"
           "`sparq-sim merge DIR [DIR...] --out OUT`; on Slurm, tools/slurm/sweep.sbatch does both.\n";
    return 0;
  }
  if (file.empty()) throw InputError("sweep: a sweep file is required (sparq-sim sweep SWEEP.yaml)");
  if (jobs < 0 || jobs > 256) throw InputError("--jobs must be in 0..256 (0: one per core)");
  if (jobs == 0) {
    // One process per core this process may run on (CPU affinity, as taskset
    // and Slurm set it); a shard runs its points one at a time, since the
    // shards themselves run in parallel.
    cpu_set_t set;
    CPU_ZERO(&set);
    const int cores = ::sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    jobs = shard.empty() ? std::max(1, cores) : 1;
  }
  SweepSpec spec = load_sweep(file, sets);
  if (out_dir.empty()) out_dir = spec.output_dir;
  if (out_dir.empty()) out_dir = (fs::path("results") / fs::path(file).stem()).string();
  int shard_i = 0, shard_n = 1;
  if (!shard.empty()) std::tie(shard_i, shard_n) = parse_shard(shard);
  std::vector<const SweepPoint*> mine;
  for (const auto& p : spec.points)
    if (p.index % shard_n == shard_i) mine.push_back(&p);
  if (vm.count("dry-run")) {
    for (const auto* p : mine) out << p->id << "  " << p->label << "\n";
    out << mine.size() << " of " << spec.points.size() << " points\n";
    return 0;
  }
  ensure_directory(out_dir);
  claim_sweep_dir(out_dir, spec.file);
  // Where the summaries and plots go must be usable before any point runs.
  if (shard_n == 1) {
    check_output_file((fs::path(out_dir) / "sweep_summary.csv").string(), "sweep summary");
    check_output_file((fs::path(out_dir) / "sweep_layers.csv").string(), "sweep layer table");
    check_output_file((fs::path(out_dir) / "report.html").string(), "sweep report");
    ensure_own_directory((fs::path(out_dir) / "plots").string());
  }
  ensure_own_directory((fs::path(out_dir) / "points").string());
  write_file_atomic((fs::path(out_dir) / "points.csv").string(), points_csv(spec.points));

  std::vector<const SweepPoint*> todo;
  int already = 0;
  for (const auto* p : mine) {
    if (point_done(point_dir(out_dir, *p)))
      ++already;
    else
      todo.push_back(p);
  }
  out << "sweep " << file << ": " << mine.size() << " points" << (shard_n > 1 ? " in shard " + shard : "") << ", "
      << already << " already done, " << todo.size() << " to run, " << jobs << " at a time -> " << out_dir << "\n";

  const bool tty = !vm.count("no-progress") && ::isatty(STDERR_FILENO);
  g_interrupted = 0;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  const std::string exe = self_exe(self);
  std::vector<Running> running;
  std::size_t next = 0;
  int done = 0, failed = 0;
  std::vector<std::string> failures;
  const auto t0 = std::chrono::steady_clock::now();
  auto progress = [&] {
    if (!tty) return;
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int finished = done + failed;
    const double eta =
        finished ? el / finished * static_cast<double>(todo.size() - static_cast<std::size_t>(finished)) : 0;
    err << "\r[" << finished << "/" << todo.size() << "] " << running.size() << " running, " << failed << " failed, "
        << fmt_duration(el) << " elapsed" << (finished ? ", eta " + fmt_duration(eta) : "") << "   " << std::flush;
  };
  while ((next < todo.size() && !g_interrupted) || !running.empty()) {
    while (!g_interrupted && next < todo.size() && running.size() < static_cast<std::size_t>(jobs)) {
      const SweepPoint* p = todo[next++];
      running.push_back({spawn_point(exe, spec, *p, point_dir(out_dir, *p)), p, std::chrono::steady_clock::now()});
      progress();
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) {
        if (g_interrupted)
          for (auto& r : running) ::kill(r.pid, SIGTERM);
        continue;
      }
      break;
    }
    for (std::size_t i = 0; i < running.size(); ++i) {
      if (running[i].pid != pid) continue;
      const SweepPoint* p = running[i].point;
      const std::string dir = point_dir(out_dir, *p);
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && point_done(dir);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - running[i].start).count();
      if (ok) {
        ++done;
        if (!tty) out << "  done " << p->id << " (" << p->label << ") in " << fmt_duration(secs) << "\n" << std::flush;
      } else if (!g_interrupted) {
        ++failed;
        failures.push_back(p->id + " (" + p->label + "): " + failure_reason(status, dir));
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
    progress();
  }
  if (tty) err << "\n";
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (g_interrupted) {
    err << "sweep interrupted: " << done << " points finished and kept; run the same command again to resume\n";
    return 130;
  }
  for (const auto& f : failures) err << "point failed: " << f << "\n";
  if (shard_n > 1) {
    out << "shard " << shard << ": " << done << " run, " << failed
        << " failed; merge the shards with `sparq-sim merge`\n";
    return failed ? 1 : 0;
  }
  const auto missing = merge_sweep(spec.points, {out_dir}, out_dir, /*allow_missing=*/true);
  const std::string summary = (fs::path(out_dir) / "sweep_summary.csv").string();
  if (missing.size() < spec.points.size()) print_sweep_table(summary, out);
  out << "results: " << summary << ", plots in " << (fs::path(out_dir) / "plots").string() << ", "
      << (fs::path(out_dir) / "report.html").string() << "\n";
  return (failed || !missing.empty()) ? 1 : 0;
}

int cmd_merge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description opts("sparq-sim merge DIR [DIR...] --out OUT");
  std::vector<std::string> dirs;
  std::string out_dir;
  opts.add_options()("help,h", "this help")("out,o", po::value(&out_dir), "where to write the merged results")(
      "allow-missing", "merge even if some points have no result");
  const po::variables_map vm = parse_command(args, opts, &dirs, -1);
  if (vm.count("help")) {
    out << opts
        << "\nCombines the point results of sweep shards (each DIR written by `sweep --shard i/N --out DIR`,\n"
           "or one shared DIR) into OUT/sweep_summary.csv, OUT/sweep_layers.csv and OUT/plots/.\n";
    return 0;
  }
  if (dirs.empty()) throw InputError("merge: give at least one sweep output directory");
  if (out_dir.empty()) out_dir = dirs.front();
  std::vector<SweepPoint> points;
  for (const auto& d : dirs) {
    const std::string pc = (fs::path(d) / "points.csv").string();
    std::error_code ec;
    if (!fs::exists(pc, ec)) throw InputError(d + ": not a sweep output directory (no points.csv)");
    auto p = read_points_csv(pc);
    if (points.empty())
      points = std::move(p);
    else if (points_csv(p) != points_csv(points))
      throw InputError(pc + ": these shards come from different sweeps (their point lists differ)");
  }
  ensure_directory(out_dir);
  // The merged directory must not hold another sweep's point list.
  {
    const std::string pc = (fs::path(out_dir) / "points.csv").string();
    std::error_code ec;
    if (fs::exists(pc, ec) && points_csv(read_points_csv(pc)) != points_csv(points))
      throw InputError(out_dir +
                       ": holds the results of a different sweep (its points.csv differs); merge into "
                       "another --out");
  }
  const bool allow = vm.count("allow-missing") > 0;
  const auto missing = merge_sweep(points, dirs, out_dir, allow);
  if (missing.empty() || allow) write_file_atomic((fs::path(out_dir) / "points.csv").string(), points_csv(points));
  if (!missing.empty()) {
    err << (vm.count("allow-missing") ? "warning: " : "error: ") << missing.size() << " of " << points.size()
        << " points have no result:";
    for (const auto& m : missing) err << " " << m;
    err << "\n";
    if (!vm.count("allow-missing")) return 2;
  }
  if (missing.size() < points.size()) print_sweep_table((fs::path(out_dir) / "sweep_summary.csv").string(), out);
  out << "merged " << points.size() - missing.size() << " points -> "
      << (fs::path(out_dir) / "sweep_summary.csv").string() << "\n";
  return 0;
}

namespace {

// A CSV cell as a number with `digits` significant digits (fixed decimals
// when `fixed`), "-" when empty or not a number (a skipped statistic).
std::string table_number(const std::string& v, int digits, bool fixed) {
  if (v.empty()) return "-";
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || *end != '\0' || !std::isfinite(d)) return v == "null" ? "-" : v;
  char buf[64];
  std::snprintf(buf, sizeof buf, fixed ? "%.*f" : "%.*g", digits, d);
  return buf;
}

}  // namespace

void print_sweep_table(const std::string& summary_csv, std::ostream& out) {
  const CsvTable t = read_csv(summary_csv);
  struct Col {
    const char* title;
    const char* column;
    int digits;
    bool fixed;
  };
  const Col cols[] = {{"point", "label", 0, false},
                      {"design", "design", 0, false},
                      {"cycles", "cycles.total [cycle]", 0, true},
                      {"MAC/cycle", "throughput.macs_per_cycle [MAC/cycle]", 2, true},
                      {"SQNR i8 [dB]", "error_vs_int8.sqnr [dB]", 2, true},
                      {"relL2 fl", "error_vs_float.relative_l2 [1]", 3, false},
                      {"pJ/MAC", "energy.per_mac [pJ/MAC]", 4, false},
                      {"area [um^2]", "area.array [um^2]", 0, true}};
  constexpr std::size_t n = sizeof cols / sizeof cols[0];
  std::vector<std::vector<std::string>> rows(1);
  for (const auto& c : cols) rows[0].push_back(c.title);
  for (const auto& r : t.rows) {
    std::vector<std::string> cells;
    for (const auto& c : cols) {
      const auto it = std::find(t.header.begin(), t.header.end(), c.column);
      const std::size_t i = static_cast<std::size_t>(it - t.header.begin());
      const std::string v = it == t.header.end() || i >= r.size() ? "" : r[i];
      cells.push_back(c.digits == 0 && !c.fixed ? (v.empty() ? "-" : v) : table_number(v, c.digits, c.fixed));
    }
    if (cells[0] == "-") cells[0] = r.empty() ? "-" : r[0];  // an unlabelled point: its id
    rows.push_back(std::move(cells));
  }
  std::vector<std::size_t> width(n, 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < n; ++i) width[i] = std::max(width[i], r[i].size());
  out << "\n";
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string pad(width[i] - r[i].size(), ' ');
      line += i < 2 ? r[i] + pad : pad + r[i];  // names left, numbers right
      line += i + 1 < n ? "  " : "";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
  out << "(" << summary_csv << " has every statistic)\n";
}

namespace {

// report.html of a sweep (report_html.h): the points, the key statistics of
// every point x design and every layer, the plots inline, one point's
// effective config (the others differ only in their overrides) and the
// trace bundle's provenance.
std::string sweep_report(const std::vector<SweepPoint>& points, const std::vector<std::string>& missing,
                         const std::vector<std::string>& keys, const CsvTable& summary, const CsvTable& layers,
                         std::vector<std::pair<std::string, std::string>> plots,
                         const std::string& point_dir_with_results) {
  HtmlReport h;
  h.title = "sparq-sim sweep: " + std::to_string(points.size()) + " points";
  h.subtitle = missing.empty() ? "every point has its result"
                               : std::to_string(missing.size()) + " of " + std::to_string(points.size()) +
                                     " points have no result (failed, or not run: merged with --allow-missing)";
  std::string config;
  try {
    config = read_file_bounded((fs::path(point_dir_with_results) / "effective_config.yaml").string(), 16 << 20,
                               "effective config");
    const YAML::Node root = load_yaml_text(config, "effective_config.yaml");
    if (root["trace"] && root["trace"]["bundle"]) add_bundle_provenance(h, root["trace"]["bundle"].as<std::string>());
  } catch (const std::exception& e) {
    h.provenance.push_back({"trace bundle", std::string("unknown (") + e.what() + ")"});
  }
  CsvTable pt;
  pt.header = {"point", "label", "overrides"};
  for (const auto& p : points) {
    std::string o;
    for (const auto& [k, v] : p.overrides) o += (o.empty() ? "" : " ") + k + "=" + v;
    const bool miss = std::find(missing.begin(), missing.end(), p.id) != missing.end();
    pt.rows.push_back({p.id, p.label, o + (miss ? " (no result)" : "")});
  }
  HtmlReport::Table tp{"Points", "the sweep's points and their overrides (points.csv)", pt};
  tp.collapsed = points.size() > 30;
  h.tables.push_back(std::move(tp));
  std::vector<std::string> cols = {"point", "label"};
  cols.insert(cols.end(), keys.begin(), keys.end());
  for (const auto& c : summary_key_columns())
    if (std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
  h.tables.push_back({"Summary: key statistics per point and design",
                      "4 significant digits (hover for the full value) from sweep_summary.csv (which has every "
                      "statistic); units in brackets",
                      select_columns(summary, cols)});
  std::vector<std::string> lcols = {"point"};
  lcols.insert(lcols.end(), layer_key_columns().begin(), layer_key_columns().end());
  HtmlReport::Table tl{"Per layer: key statistics per point and design",
                       "4 significant digits (hover for the full value) from sweep_layers.csv",
                       select_columns(layers, lcols)};
  tl.collapsed = true;
  h.tables.push_back(std::move(tl));
  h.plots = std::move(plots);
  h.config_heading = "Effective configuration of one point";
  h.config_yaml = config.empty() ? "(not available)" : "# point directory: " + point_dir_with_results + "\n" + config;
  h.files = {"sweep_summary.csv", "sweep_layers.csv", "points.csv"};
  for (const auto& [name, svg] : h.plots) h.files.push_back("plots/" + name);
  return render_report(h);
}

}  // namespace

std::vector<std::string> merge_sweep(const std::vector<SweepPoint>& points, const std::vector<std::string>& dirs,
                                     const std::string& out_dir, bool allow_missing) {
  std::vector<std::string> missing;
  for (const auto& p : points) {
    bool found = false;
    for (const auto& d : dirs) found |= point_done(point_dir(d, p));
    if (!found) missing.push_back(p.id);
  }
  if (!missing.empty() && !allow_missing) return missing;
  // Every destination usable before anything is written.
  check_output_file((fs::path(out_dir) / "sweep_summary.csv").string(), "sweep summary");
  check_output_file((fs::path(out_dir) / "sweep_layers.csv").string(), "sweep layer table");
  check_output_file((fs::path(out_dir) / "report.html").string(), "sweep report");
  ensure_own_directory((fs::path(out_dir) / "plots").string());
  // Axis keys (in order of first appearance) become columns.
  std::vector<std::string> keys;
  for (const auto& p : points)
    for (const auto& kv : p.overrides)
      if (std::find(keys.begin(), keys.end(), kv.first) == keys.end()) keys.push_back(kv.first);
  CsvTable summary, layers;
  std::string first_dir;  // a point's result directory (its effective config goes into the report)
  for (const auto& which : {std::string("summary.csv"), std::string("layers.csv")}) {
    CsvTable& dst = which == "summary.csv" ? summary : layers;
    for (const auto& p : points) {
      std::string found;
      for (const auto& d : dirs) {
        if (!point_done(point_dir(d, p))) continue;
        found = (fs::path(point_dir(d, p)) / which).string();
        if (first_dir.empty()) first_dir = point_dir(d, p);
        break;
      }
      if (found.empty()) continue;
      const CsvTable t = read_csv(found);
      std::vector<std::string> names = {"point", "label"};
      names.insert(names.end(), keys.begin(), keys.end());
      names.insert(names.end(), t.header.begin(), t.header.end());
      for (const auto& row : t.rows) {
        std::vector<std::string> r = {p.id, p.label};
        for (const auto& k : keys) {
          std::string v;
          for (const auto& kv : p.overrides)
            if (kv.first == k) v = kv.second;
          r.push_back(v);
        }
        r.insert(r.end(), row.begin(), row.end());
        dst.add_row(names, r);  // points may differ in optional columns
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> plots;
  if (!summary.header.empty()) {
    write_file_atomic((fs::path(out_dir) / "sweep_summary.csv").string(), summary.to_string());
    plots = make_plots(summary, layers);
    for (const auto& [name, svg] : plots) write_file_atomic((fs::path(out_dir) / "plots" / name).string(), svg);
  }
  if (!layers.header.empty()) write_file_atomic((fs::path(out_dir) / "sweep_layers.csv").string(), layers.to_string());
  if (!summary.header.empty())
    write_file_atomic((fs::path(out_dir) / "report.html").string(),
                      sweep_report(points, missing, keys, summary, layers, std::move(plots), first_dir));
  return missing;
}

}  // namespace sparq
