// libFuzzer harness: the trace bundle manifest loader (YAML, duplicate keys,
// geometry validation, names) on arbitrary text.
#include <cstdint>
#include <string>

#include "bundle.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  sparq_fuzz::expect_only_input_errors([&] {
    const sparq::BundleManifest m = sparq::parse_manifest(text, sparq_fuzz::scratch() + "/manifest.yaml");
    for (const auto& l : m.layers) {
      // Accepted geometry is consistent: the products the simulator forms stay in range.
      if (l.geo.H_out() <= 0 || l.geo.W_out() <= 0 || l.geo.K() <= 0 || l.geo.C_out % l.geo.groups != 0)
        sparq_fuzz::finding("manifest accepted an inconsistent geometry for layer " + l.name);
      (void)m.layer(l.name);
    }
  });
  return 0;
}
