// Glue between the simulator and the area/energy proxy model
// (hw_models/core/cost_model.h): the cost configuration of a design point,
// the activity counts of a simulated run, and their statistics groups.
#pragma once

#include "array_sim.h"
#include "config.h"
#include "cost_model.h"
#include "stats.h"

namespace sparq {

CostConfig cost_config(const DesignPoint& d);
// Estimates a design's area; an invalid combination (e.g. an accumulator too
// narrow for one product) is an InputError naming the design.
ArrayCost design_cost(const DesignPoint& d, const CellLibrary& lib);
// Activity counts of a simulated run, for the energy proxy.
EnergyActivity energy_activity(const hw::ArrayStats& s, const DesignPoint& d);

// "area": per-PE and array area, ratios to int8, throughput per area, and the
// per-component breakdown of the PE and of the row-edge logic.
StatGroup area_stats(const ArrayCost& c, double macs_per_cycle, double clock_mhz);
// "energy": the proxy by component, total and per useful MAC.
StatGroup energy_stats(const EnergyBreakdown& e, std::uint64_t macs);

}  // namespace sparq
