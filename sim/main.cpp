#include <iostream>

#include "cli.h"

int main(int argc, char** argv) {
  return sparq::cli_main(argc, argv, std::cout, std::cerr);
}
