// Loads a CellLibrary (standard-cell areas and energies per event for the
// area / energy proxy, hw_models/core/cost_model.h) from a YAML file such as
// configs/cost/nangate45.yaml. The only place the cost model meets yaml-cpp.
#pragma once

#include <string>

#include "cost_model.h"

namespace sparq {

// Throws InputError naming the file and the key path ("cell_area_um2.FA_X1")
// on a missing or unknown key, a non-numeric, negative or zero area, a
// negative energy, or malformed YAML.
CellLibrary load_cell_library(const std::string& path);

}  // namespace sparq
