// libFuzzer harness: the .npy reader (header parser, size checks) on
// arbitrary bytes, in memory and through the file reader; an accepted array
// must serialize and parse back to itself.
#include <cstdint>
#include <vector>

#include "fuzz_util.h"
#include "npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  sparq_fuzz::expect_only_input_errors([&] {
    const sparq::NpyArray a = sparq::parse_npy(bytes, "fuzz.npy");
    const sparq::NpyArray b = sparq::parse_npy(sparq::serialize_npy(a), "roundtrip.npy");
    if (a.dtype != b.dtype || a.shape != b.shape || a.bytes != b.bytes)
      sparq_fuzz::finding("serialize_npy/parse_npy round trip differs");
  });
  sparq_fuzz::expect_only_input_errors([&] {
    const std::string p = sparq_fuzz::put("fuzz.npy", reinterpret_cast<const char*>(data), size);
    const sparq::NpyArray a = sparq::read_npy(p);
    if (a.bytes.size() != a.count() * sparq::dtype_size(a.dtype)) sparq_fuzz::finding("read_npy size mismatch");
  });
  return 0;
}
