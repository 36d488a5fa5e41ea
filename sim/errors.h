// Typed errors. Library code throws; only main() turns them into exit codes
// (InputError -> 2, anything else -> 1).
#pragma once

#include <stdexcept>
#include <string>

namespace sparq {

// Bad input from the user: a file, key, layer or value. The message names it.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace sparq
