#include <csignal>
#include <iostream>

#include "cli.h"

int main(int argc, char** argv) {
  // A write beyond the file-size limit (ulimit -f) fails with EFBIG, reported
  // as an error naming the file, instead of killing the process mid-write.
  std::signal(SIGXFSZ, SIG_IGN);
  return sparq::cli_main(argc, argv, std::cout, std::cerr);
}
