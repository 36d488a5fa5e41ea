// Area and energy proxy model of a SPARQ PE and of a systolic array of them
// (docs/hardware.md §1, §6): gate-level cell counts per component as a function of the PE
// configuration, mapped to a standard-cell area table (CellLibrary), plus an
// activity-based energy proxy. Plain C++ without SystemC or yaml-cpp: the
// library numbers come in a CellLibrary struct (sim/cost_library.h loads one
// from configs/cost/*.yaml). Formulas and sources: docs/cost_model.md.
//
// Every count is a structural estimate of one ripple/mux-tree implementation
// (no synthesis, no wiring, no clock tree, no placement); every area is
// cell area in um^2 of X1 cells; NAND2-eq = area / area(NAND2_X1).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "pe_design.h"

namespace sparq {

// --- Cells ---------------------------------------------------------------

// The logical cells the model instantiates, named after the Nangate 45 nm
// Open Cell Library X1 cells whose areas the default table holds.
enum class CellKind : std::uint8_t {
  Inv,    // INV_X1
  Nand2,  // NAND2_X1
  And2,   // AND2_X1
  And3,   // AND3_X1
  Or2,    // OR2_X1
  Or3,    // OR3_X1
  Or4,    // OR4_X1
  Nor4,   // NOR4_X1
  Xor2,   // XOR2_X1
  Mux2,   // MUX2_X1
  Ha,     // HA_X1 (half adder)
  Fa,     // FA_X1 (full adder)
  Dff,    // DFF_X1 (positive-edge D flip-flop)
};
inline constexpr int kCellKindCount = 13;
const char* cell_name(CellKind k);  // "INV_X1", ...
// Inverse of cell_name; returns false if the name is not a model cell.
bool parse_cell_name(const std::string& name, CellKind& out);

// Cell counts by kind (integers: a structure has whole cells).
struct CellCounts {
  std::array<std::int64_t, kCellKindCount> n{};

  std::int64_t& operator[](CellKind k) { return n[static_cast<int>(k)]; }
  std::int64_t operator[](CellKind k) const { return n[static_cast<int>(k)]; }
  CellCounts& operator+=(const CellCounts& o);
  CellCounts operator+(const CellCounts& o) const;
  CellCounts operator*(std::int64_t k) const;
  bool operator==(const CellCounts& o) const { return n == o.n; }
  std::int64_t total() const;     // number of cells
  std::string to_string() const;  // e.g. "57 AND2_X1, 7 NAND2_X1, ..."; "none" if empty
};

// Energy per event, pJ (see configs/cost/nangate45.yaml for the bases).
struct EnergyPerEvent {
  double mult_pp_cell_toggle_pj = 0;  // per partial-product cell reached by one multiplier input-bit toggle
  double add_bit_pj = 0;              // per adder bit per addition
  double logic_nand2eq_op_pj = 0;     // per NAND2-equivalent of control/datapath logic per operation
  double reg_bit_clock_pj = 0;        // per flip-flop clocked (write event, whatever the data)
  double reg_bit_toggle_pj = 0;       // extra per flip-flop whose output changes (incl. its output net)
  double sram_byte_pj = 0;            // per byte read from or written to an on-chip scratchpad
  double dram_byte_pj = 0;            // per byte read from or written to DRAM
};

// A standard-cell area table and the energy-per-event constants.
struct CellLibrary {
  std::string name;
  std::string area_source;    // provenance of the areas
  std::string energy_source;  // provenance of the energies
  std::array<double, kCellKindCount> area_um2{};
  EnergyPerEvent energy;

  double area(CellKind k) const { return area_um2[static_cast<int>(k)]; }
  double area(const CellCounts& c) const;  // sum of count x cell area, um^2
  double nand2_area() const { return area(CellKind::Nand2); }
  // Throws std::invalid_argument naming the cell or constant if an area is not
  // a finite positive number or an energy is negative / not finite.
  void validate() const;
};

// --- Configuration -------------------------------------------------------

struct CostConfig {
  PeArith arith = PeArith::int8();
  LodPlacement lod = LodPlacement::PE;
  Dataflow dataflow = Dataflow::WS;
  int acc_bits = 32;
  int rows = 16;
  int cols = 16;
  WeightBuffering weight_buffering = WeightBuffering::Single;
  // Throws std::invalid_argument: invalid arith, rows/cols < 1, acc_bits
  // outside [16 (int8: one product) or 17 (pair designs: one pair sum), 64].
  void validate() const;
};

// Widths the model assumes (docs/arithmetic.md §1: 8-bit unsigned activations, 8-bit signed weights).
inline constexpr int kWeightBits = 8;
inline constexpr int kActBits = 8;
inline constexpr int kShiftedProductBits = 16;  // |trim(a) * w| <= 255 * 128 fits 16 signed bits
inline constexpr int kPairSumBits = 17;         // sum of two shifted products

// --- Components ----------------------------------------------------------

enum class CostComponent : std::uint8_t {
  Multipliers,
  BarrelShifters,
  LeadingOneDetectors,
  ShiftEncoders,
  WindowMuxes,
  Rounding,
  ZeroDetectors,
  PairMux,
  PairAdder,
  AccAdder,
  ActRegister,
  WeightRegister,
  PsumRegister,
};
inline constexpr int kCostComponentCount = 13;
const char* to_string(CostComponent c);  // snake_case name, e.g. "barrel_shifters"

struct ComponentCost {
  CostComponent id{};
  CellCounts cells;
  double area_um2 = 0;
  double nand2_eq = 0;
  std::string basis;  // the structure counted, in words (empty: component absent)
};

// One hardware unit (a PE, or the edge logic of one row): all components, in
// CostComponent order, absent ones with zero cells.
struct UnitCost {
  std::array<ComponentCost, kCostComponentCount> components{};
  CellCounts cells;
  double area_um2 = 0;
  double nand2_eq = 0;

  const ComponentCost& operator[](CostComponent c) const { return components[static_cast<int>(c)]; }
};

struct ArrayCost {
  CostConfig config;
  UnitCost pe;                // one PE (with its front end when lod = pe)
  UnitCost edge;              // edge logic of one array row (empty unless lod = edge)
  UnitCost frontend;          // the activation-pair front end (LOD .. pair mux), wherever it sits
  CellCounts array_cells;     // rows*cols*pe + rows*edge
  double array_area_um2 = 0;  // rows*cols*pe.area + rows*edge.area
  double array_nand2_eq = 0;
  int peak_macs_per_pe_cycle = 1;  // 1 for int8, 2 for the pair designs

  // Ratios to the int8 PE / int8 array of the same acc_bits, dataflow, rows x cols.
  double pe_area_ratio = 0;            // pe.area / int8 pe.area
  double pe_amortized_area_um2 = 0;    // pe.area + edge.area / cols
  double pe_amortized_area_ratio = 0;  // pe_amortized_area / int8 pe.area
  double array_area_ratio = 0;         // array_area / int8 array_area
  double area_per_peak_mac_ratio = 0;  // (array_area / peak MACs) / (int8 array_area / int8 peak MACs)

  // Multi-line text: configuration, per-component cells / area / NAND2-eq /
  // basis for the PE and the edge, array totals and ratios, with units.
  std::string describe() const;
};

// The cost-model parts of one hardware unit as a design lists them
// (PeDesign::frontend_parts / datapath_parts): cells and the structure
// counted, in words, per component.
struct CostPart {
  CellCounts cells;
  std::string basis;
};
struct CostParts {
  std::array<CostPart, kCostComponentCount> parts{};
  // Adds cells to a component and appends the basis (no-op if both are empty).
  void add(CostComponent c, const CellCounts& cells, const std::string& basis);
  const CostPart& operator[](CostComponent c) const { return parts[static_cast<int>(c)]; }
};

// --- Building blocks (exposed for tests, reports and the designs) ---------

// `count` cells of one kind.
CellCounts cells_of(CellKind k, std::int64_t count = 1);
// "4-bit window, S={4,3,2,1,0}, round".
std::string window_spec_name(const WindowSpec& w);
// The parts every PE has, sized from its widths: the accumulator adder and
// the operand, weight and partial-sum registers (act_basis describes the
// operand register's contents).
void common_pe_parts(const PeWidths& w, const PeContext& ctx, const std::string& act_basis, CostParts& out);

// Unsigned n-bit x signed m-bit Baugh-Wooley ripple array multiplier:
// n(m-1)+1 AND2, n-1 NAND2, 2 INV, n-1 HA, (n-1)(m-1) FA
// (n*m partial-product gates and (n-1)*m adder cells).
CellCounts array_multiplier_cells(int n, int m);
// Recursive leading-one detector on a power-of-two width: width-1 OR2 and
// sum over merge levels of (level - 1) MUX2 (8 bits: 7 OR2, 4 MUX2).
CellCounts leading_one_detector_cells(int width);
// Minimal two-level sum of products of a 3-input function given as an 8-bit
// truth table (bit x = f(x2,x1,x0) with x = 4*x2 + 2*x1 + x0): AND2/AND3 per
// product term, OR2/OR3/OR4 over the terms, one INV per complemented input.
CellCounts sop3_cells(std::uint8_t truth);
// Shift encoder: ceil(log2|S|) code bits, each a minimal SOP of the 3-bit
// leading-one position (INVs shared across code bits). None for |S| = 1.
CellCounts shift_encoder_cells(const WindowSpec& spec);
// Window multiplexer selecting n bits of an 8-bit activation at the shifts of S.
CellCounts window_mux_cells(const WindowSpec& spec);
// Rounding logic (half/sticky select, round-half-even decision, n-bit
// incrementer, saturation detect); none for trunc or S = {0}.
CellCounts rounding_cells(const WindowSpec& spec);
// Shifter of an in_bits signed value by any shift of shift_mask, output
// out_bits wide: log-depth stages when S is an arithmetic progression,
// otherwise a per-bit (|S|-1)-MUX2 tree.
CellCounts barrel_shifter_cells(std::uint16_t shift_mask, int in_bits, int out_bits);
// Ripple-carry adder producing bits (operands sign-extended): 1 HA + (bits-1) FA.
CellCounts ripple_adder_cells(int bits);
// 8-input NOR zero detector: 2 NOR4 + 1 AND2.
CellCounts zero_detector_cells();

// --- Estimates -----------------------------------------------------------

ArrayCost estimate_cost(const CostConfig& cfg, const CellLibrary& lib);

// Throughput per area: macs_per_cycle * clock_mhz * 1e6 MAC/s over area_um2 *
// 1e-6 mm^2, in GMAC/s per mm^2.
double gmacs_per_s_per_mm2(double macs_per_cycle, double clock_mhz, double area_um2);

// --- Energy --------------------------------------------------------------

// Activity counts the simulator gathers over a run (whole array). Every field
// is a count of events; all default to 0.
struct EnergyActivity {
  // n x 8 lane multiplies (int8: 8x8 multiplies). A combined partner multiply
  // (vsparq, one activation zero) counts as 2 here: both lanes work.
  std::uint64_t lane_multiplies = 0;
  // vsparq combined partner multiplies (pairs computed on both lanes).
  std::uint64_t combined_multiplies = 0;
  // Bit toggles on the multipliers' activation-side inputs (window bits as
  // they enter the multiplier, summed over all lanes of all PEs).
  std::uint64_t mult_act_bit_toggles = 0;
  // Bit toggles on the multipliers' weight-side inputs (after the pair mux).
  std::uint64_t mult_weight_bit_toggles = 0;
  // Flip-flop bits clocked with a write (register width x write cycles).
  std::uint64_t reg_bit_writes = 0;
  // Flip-flop bits whose stored value changed on a write.
  std::uint64_t reg_bit_toggles = 0;
  // Pair additions (the adder of the two lane products).
  std::uint64_t pair_adds = 0;
  // Accumulator additions (acc_bits wide).
  std::uint64_t acc_adds = 0;
  // Activations encoded (LOD, encoder, window, rounding, zero detect) by
  // front ends inside PEs (lod = pe) and at the row edges (lod = edge).
  std::uint64_t encodings_pe = 0;
  std::uint64_t encodings_edge = 0;
  // The memory system (memory.enabled): scratchpad bytes read and written,
  // DRAM bytes moved. Without it the proxy has no memory components.
  bool memory = false;
  std::uint64_t sram_bytes = 0, dram_bytes = 0;
};

struct EnergyComponent {
  std::string name;
  double pj = 0;
  std::string basis;
};

struct EnergyBreakdown {
  std::vector<EnergyComponent> components;  // fixed order, see estimate_energy
  double total_pj = 0;
  std::string describe() const;
};

// Energy proxy in pJ, linear in every activity count. Components:
// multipliers, barrel_shifters, pair_mux, frontend_pe, frontend_edge,
// pair_adder, acc_adder, register_clock, register_toggle.
EnergyBreakdown estimate_energy(const ArrayCost& cost, const CellLibrary& lib, const EnergyActivity& act);

}  // namespace sparq
