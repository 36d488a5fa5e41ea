// The one main() of test_hw (libsystemc's own main() calls sc_main(), which
// these tests never use: each test elaborates in a fresh simulation context).
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
