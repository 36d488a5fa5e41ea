// Factories of the built-in PE designs (one file each); pe_design.cpp lists
// them in its registry. A new design is a new file here plus one line there.
#pragma once

#include <memory>

#include "pe_design.h"

namespace sparq {

std::unique_ptr<PeDesign> make_int8_design();
std::unique_ptr<PeDesign> make_int4_design();
std::unique_ptr<PeDesign> make_bsparq_design();
std::unique_ptr<PeDesign> make_vsparq_design();

// vSPARQ's 3- and 2-bit budgets (docs/arithmetic.md §3.2): the presets of the
// lanes' window and of the partner-of-a-zero window. Budget 4 is any lane
// window with the exact 8-bit partner.
struct VsparqBudget {
  int budget;
  const char* lanes;
  const char* partner;
};
inline constexpr VsparqBudget kVsparqBudgets[] = {{3, "6opt", "6b-3opt"}, {2, "7opt", "5opt"}};

}  // namespace sparq
