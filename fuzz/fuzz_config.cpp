// libFuzzer harness: the run-config loader. The input is a config file,
// optionally followed by a line "---set" and one `--set` override per line.
// An accepted config's effective_config.yaml must load again.
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "config.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto mark = text.find("\n---set\n");
  const std::string file = text.substr(0, mark);
  std::vector<std::string> sets;
  if (mark != std::string::npos) {
    std::istringstream in(text.substr(mark + 8));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) sets.push_back(line);
  }
  const std::string path = sparq_fuzz::put("config.yaml", file.data(), file.size());
  sparq_fuzz::expect_only_input_errors([&] {
    const sparq::RunConfig c = sparq::load_run_config({path}, sets, /*require_trace=*/false);
    const std::string eff = sparq_fuzz::put("effective.yaml", c.effective_yaml.data(), c.effective_yaml.size());
    try {
      const sparq::RunConfig again = sparq::load_run_config({eff}, {}, false);
      if (again.designs.size() != c.designs.size()) sparq_fuzz::finding("effective config has other designs");
    } catch (const sparq::InputError& e) {
      sparq_fuzz::finding(std::string("effective_config.yaml of an accepted config is refused: ") + e.what());
    }
  });
  return 0;
}
