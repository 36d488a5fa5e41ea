// Command-line front end. Returns the process exit code: 0 success, 2 bad
// input, 1 internal failure. Output goes to the given streams.
#pragma once

#include <ostream>

namespace sparq {

int cli_main(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace sparq
