#include "cli.h"

#include <exception>

#include "errors.h"

namespace sparq {

int cli_main(int argc, char** argv, std::ostream& out, std::ostream& err) {
  (void)argc;
  (void)argv;
  try {
    out << "sparq-sim: no command yet\n";
    return 0;
  } catch (const InputError& e) {
    err << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace sparq
