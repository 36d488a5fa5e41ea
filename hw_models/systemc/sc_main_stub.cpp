// libsystemc provides main(), which calls sc_main(). This project's
// executables define their own main() and never reach it, but the shared
// libsystemc still needs the symbol at link time: sim/CMakeLists.txt makes
// every consumer of library `sparq` link this definition (-u sc_main).
#include <cstdio>

extern "C" int sc_main(int /*argc*/, char** /*argv*/) {
  std::fputs("sparq: sc_main is not an entry point of this program\n", stderr);
  return 1;
}
