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

}  // namespace sparq
