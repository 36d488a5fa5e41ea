// SHA-256 (FIPS 180-4), used to verify trace bundle arrays on load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sparq {

std::string sha256_hex(const std::uint8_t* data, std::size_t len);

}  // namespace sparq
