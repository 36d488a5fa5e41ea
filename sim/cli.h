// Command-line front end. Returns the process exit code: 0 success, 2 bad
// input, 1 internal failure. Output goes to the given streams.
#pragma once

#include <boost/program_options.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace sparq {

int cli_main(int argc, char** argv, std::ostream& out, std::ostream& err);

// Splits comma-separated lists ("a, b,c"), trimming spaces, dropping empties.
std::vector<std::string> split_list(const std::vector<std::string>& in);

// Parses a command's arguments: the visible options plus positional
// arguments collected into *positionals (at most max_positionals; -1 = any).
boost::program_options::variables_map parse_command(const std::vector<std::string>& args,
                                                    const boost::program_options::options_description& visible,
                                                    std::vector<std::string>* positionals, int max_positionals);

}  // namespace sparq
