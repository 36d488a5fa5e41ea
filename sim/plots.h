// SVG plots written by sweeps (and runs): per design, area against output
// error with throughput as marker size and the Pareto front marked; per
// layer, cycles and PE utilization by design. Plain SVG, no dependencies.
#pragma once

#include <string>
#include <vector>

#include "csv.h"

namespace sparq {

struct ParetoInput {
  double area;        // minimize
  double error;       // minimize
  double throughput;  // maximize
};

// Indices of the points no other point dominates (<= area, <= error,
// >= throughput, one strictly better).
std::vector<std::size_t> pareto_front(const std::vector<ParetoInput>& pts);

// Writes dir/pareto.svg, dir/layers_cycles.svg, dir/layers_utilization.svg
// from summary rows (one per design or sweep point x design) and layer rows.
// Returns the files written.
std::vector<std::string> write_plots(const CsvTable& summary, const CsvTable& layers, const std::string& dir);

}  // namespace sparq
