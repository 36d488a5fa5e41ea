// SVG plots written by sweeps and embedded in the HTML reports: per design,
// area against output error with throughput as marker size and the Pareto
// front marked; per layer, cycles, PE and multiplier-slot utilization, SQNR
// against exact int8 and energy per MAC by design; throughput against DRAM
// bandwidth (roofline) when a sweep varies it. Plain SVG, no dependencies.
//
// Readability rules every plot follows (the helpers below, unit-tested in
// tests/sim_plots.cpp): round 1-2-5 tick values with the axis covering the
// data; the legend outside the plot area, wrapped into columns, never
// truncated to a duplicate (long names cut in the middle at a character
// boundary, the full name in a <title> tooltip); distinct colour + marker
// combinations beyond the palette's 12 colours; tick and point labels that
// would overlap thinned out.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
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

namespace plot {

// Axis ticks at multiples of 1, 2 or 5 x 10^k: lo <= data minimum, hi >=
// data maximum, at most max_ticks + 1 values (lo, lo + step, ..., hi).
struct Ticks {
  double lo = 0, hi = 1, step = 1;
  std::vector<double> values;
};
Ticks nice_ticks(double data_min, double data_max, int max_ticks = 6);

// A tick value printed with as many decimals as the step needs; large
// values with an SI suffix (250k, 1.5M).
std::string tick_label(double v, double step);

// A name cut to at most max_chars characters (UTF-8 code points, never
// splitting one): head and tail kept, joined by an ellipsis, so that names
// differing at their end (sweep axes) stay distinct.
std::string shorten(const std::string& name, std::size_t max_chars);

// Legend entries placed in columns of at most `max_rows` rows (columns grow
// to the right, outside the plot area). labels are the shown texts: each at
// most max_chars characters and, if the names are distinct, distinct.
struct LegendLayout {
  std::size_t columns = 0, rows = 0;
  std::vector<std::string> labels;
  std::vector<std::size_t> column, row;  // of each entry
};
LegendLayout legend_layout(const std::vector<std::string>& names, std::size_t max_rows, std::size_t max_chars);

// Axis-aligned box of a label in px.
struct Box {
  double x0, y0, x1, y1;
};
// Which boxes to draw, in the order given (earlier boxes win): a box is kept
// if it is at least `gap` px clear of every box kept before it. The first
// `obstacles` boxes (markers, say) are always kept, even where they overlap
// each other, and the others must stay clear of them.
std::vector<bool> keep_non_overlapping(const std::vector<Box>& boxes, double gap = 2, std::size_t obstacles = 0);

// Colour and marker of series i: 12 colours x 6 marker shapes, every
// combination distinct for the first 72 series.
struct Style {
  const char* color;
  int marker;  // 0 circle, 1 square, 2 triangle up, 3 diamond, 4 triangle down, 5 plus
};
Style series_style(std::size_t i);
constexpr std::size_t kDistinctStyles = 72;

}  // namespace plot

// The plots for a summary table (one row per design or sweep point x
// design) and a layer table: (file name, SVG text) pairs, in display order.
std::vector<std::pair<std::string, std::string>> make_plots(const CsvTable& summary, const CsvTable& layers);

// Error growth along a network (`infer`): per-layer SQNR [dB] against the
// float graph, one line per design (series: name, one value per layer, NaN
// where undefined).
std::string error_growth_svg(const std::string& title, const std::vector<std::string>& layer_names,
                             const std::vector<std::pair<std::string, std::vector<double>>>& series);

}  // namespace sparq
