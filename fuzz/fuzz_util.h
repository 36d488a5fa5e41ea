// Shared by the libFuzzer harnesses: a per-process scratch directory and the
// rule that decides what a finding is. Bad input must end in sparq::InputError
// (exit 2, a message naming the file); any other exception is an internal
// error escaping a loader, so the harness aborts and libFuzzer saves the input.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "errors.h"

namespace sparq_fuzz {

inline const std::string& scratch() {
  static const std::string dir = [] {
    const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string d = std::string(base) + "/sparq_fuzz_" + std::to_string(::getpid());
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline std::string put(const std::string& name, const char* data, std::size_t size) {
  const std::string p = scratch() + "/" + name;
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(data, static_cast<std::streamsize>(size));
  return p;
}

// Runs f; InputError is the expected outcome for bad input, anything else a finding.
template <typename F>
void expect_only_input_errors(F&& f) {
  try {
    f();
  } catch (const sparq::InputError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FINDING: exception other than InputError: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "FINDING: non-standard exception\n");
    std::abort();
  }
}

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "FINDING: %s\n", what.c_str());
  std::abort();
}

}  // namespace sparq_fuzz
