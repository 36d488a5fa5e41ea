// Helpers shared by the sim_* test files.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sparq::testing_util {

// A scratch directory named after the running test, removed afterwards.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    path = std::filesystem::temp_directory_path() /
           ("sparq_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string operator/(const std::string& f) const { return (path / f).string(); }
  std::string s(const std::string& f) const { return *this / f; }
  // Writes text to a file below the directory (creating parents); returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto f = path / name;
    std::filesystem::create_directories(f.parent_path());
    std::ofstream(f) << text;
    return f.string();
  }
};

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The simulator run as a child process, for the CLI tests.
struct CliResult {
  int code = -1;  // exit code; -1 if killed by a signal
  std::string out, err;
  double seconds = 0;  // wall time
};

// Runs `prefix exe args` through the shell from dir (args shell-quoted by the
// caller where needed; prefix may set limits, e.g. ulimit, for the child only).
inline CliResult run_cli(const std::string& dir, const std::string& exe, const std::string& args,
                         const std::string& prefix = "") {
  static int n = 0;
  const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(n++);
  const std::filesystem::path o = std::filesystem::temp_directory_path() / ("sparq_cli_out_" + tag);
  const std::filesystem::path e = std::filesystem::temp_directory_path() / ("sparq_cli_err_" + tag);
  const std::string cmd =
      "cd '" + dir + "' && (" + prefix + " '" + exe + "' " + args + ") >'" + o.string() + "' 2>'" + e.string() + "'";
  const auto t0 = std::chrono::steady_clock::now();
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(o);
  r.err = read_text(e);
  std::filesystem::remove(o);
  std::filesystem::remove(e);
  return r;
}

}  // namespace sparq::testing_util
