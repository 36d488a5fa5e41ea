// A PE design is one object behind one interface, registered by name
// (docs/hardware.md §1, docs/architecture.md §5). It parses its own
// configuration keys, encodes activation pairs (leading-one detectors, shift
// encoders, window selects, zero detectors), routes the pair multiplexer,
// says how many multiplier slots an operand keeps busy, gives the width of
// every register and operand field, and lists its cost-model parts. The
// configuration layer, the hardware blocks, both array fidelities and the
// area/energy model all call through it; nothing else switches on a design.
//
// A configured PE is a PeArith: the design plus its parameters (windows).
// Plain C++ (no SystemC, no yaml-cpp): configuration keys arrive through the
// DesignParams interface, which sim/config.cpp implements over YAML.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "enum_names.h"
#include "sparq_arith.h"

namespace sparq {

class PeDesign;
struct CostParts;

// The configured arithmetic of a PE: a registered design and its windows.
struct PeArith {
  const PeDesign* design;   // the registered implementation; never null
  WindowSpec window;        // the lanes' n-bit windows (int8: the exact 8-bit window)
  WindowSpec partner;       // partner of a zero (designs with zero detectors); = window otherwise
  std::string shift_label;  // the shift set(s) as configured, for reports: "5opt", "{4,2,0}", "6opt/6b-3opt", "-"

  PeArith();  // int8
  PeArith(const PeDesign& d, const WindowSpec& w, const WindowSpec& p, std::string label);

  // Throws std::invalid_argument if the design rejects the windows.
  void validate() const;
  std::string label() const;  // report name, e.g. "vsparq-5opt", "int8"

  bool operator==(const PeArith& o) const { return design == o.design && window == o.window && partner == o.partner; }

  // Presets (the designs of docs/hardware.md §1), for tests and tools.
  static PeArith int8();
  static PeArith int4(Rounding r = Rounding::Round);
  static PeArith bsparq(const WindowSpec& w);
  // vSPARQ with budget 4 and the given shift set (exact 8-bit partner), or
  // budget 3 / 2 with their presets (6opt + 6b-3opt, 7opt + 5opt).
  static PeArith vsparq(int budget, const WindowSpec& w4 = WindowSpec{});
  // Generalized vSPARQ: any lane window and any partner window (n_p <= 2n).
  static PeArith vsparq(const WindowSpec& lanes, const WindowSpec& partner);
};

// Pair multiplexer, multiplier side: what each of the two n-bit x 8-bit
// shifting multipliers receives. Two-lane modes route lane i with weight i.
// A combined mode (one activation zero) splits the partner's window into its
// high n bits (shift s + n) and low n bits (shift s), both against the
// partner's weight, so the two products sum to the partner's.
struct LaneOperands {
  std::array<Window, 2> lane{};
  std::array<std::int8_t, 2> w{};
};

// Widths, in bits, of a PE's registers and of the fields of the operand that
// travels between PEs: the simulator's register toggles, the energy proxy's
// clocked bits and the area proxy's flip-flops all read these.
struct PeWidths {
  int act_bits = 0;         // horizontal operand register (raw activation(s) or encoded operand)
  int weight_bits = 0;      // weight register (one weight or a pair)
  int psum_bits = 0;        // partial sum / accumulator (= acc_bits)
  int mult_input_bits = 0;  // operand inputs of all multipliers of one PE
  // Encoded operand (edge LOD, pair designs): lane l's window value at bit
  // lane_v_pos[l] (lane_v_bits wide), its shift code at lane_code_pos[l]
  // (code_bits wide, the index of the shift in lane_shift_mask), the pair
  // mode at kPairModePos (mode_bits wide: 2 with zero detectors, else 0).
  // act_bits counts the bits used; the lanes are packed tight below the mode.
  int lane_v_bits = 0, code_bits = 0, mode_bits = 0;
  std::array<int, 2> lane_v_pos{}, lane_code_pos{};
  std::uint16_t lane_shift_mask = 0;  // shifts a lane's shifter applies (before the combined mode's +n)
};

// Bit position of the pair mode in a packed encoded operand, above every
// lane field (2 x (8-bit window + 3-bit code) = 22 bits at most).
inline constexpr int kPairModePos = 22;

// A design's configuration key: name, default (YAML text) and help.
struct DesignKey {
  std::string key, def, help;
};

// Read access to a design's keys as the user set them (config layer).
class DesignParams {
 public:
  virtual ~DesignParams() = default;
  virtual bool has(const std::string& key) const = 0;                    // set explicitly (else its default applies)
  virtual bool is_list(const std::string& key) const = 0;                // the value is a sequence
  virtual std::string text(const std::string& key) const = 0;            // a scalar value, or its default
  virtual long integer(const std::string& key) const = 0;                // throws SettingError if not an integer
  virtual std::vector<long> integers(const std::string& key) const = 0;  // a sequence of integers
};

// A bad value for one setting, naming its key (a design key, or an array
// setting such as "rows"); the config layer adds the file and key path.
class SettingError : public std::invalid_argument {
 public:
  SettingError(std::string key, const std::string& what) : std::invalid_argument(what), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

// Where the cost model places a design: LOD placement, dataflow, accumulator.
struct PeContext {
  LodPlacement lod = LodPlacement::PE;
  Dataflow dataflow = Dataflow::WS;
  int acc_bits = 32;
  WeightBuffering buffering = WeightBuffering::Single;  // double: a shadow weight (ws) / output (os) register
};

class PeDesign {
 public:
  virtual ~PeDesign() = default;
  PeDesign(const PeDesign&) = delete;
  PeDesign& operator=(const PeDesign&) = delete;

  // --- Identity and configuration.
  const std::string& name() const { return name_; }  // registry name, e.g. "vsparq"
  virtual std::string summary() const = 0;           // one line for --help
  virtual std::vector<DesignKey> keys() const = 0;   // its own keys (besides design, lod, accumulator_bits, name)
  // Builds the configured PE from its keys; throws SettingError naming the key.
  virtual PeArith configure(const DesignParams& p) const = 0;
  // Its keys with values (YAML text) that configure() turns back into pe.
  virtual std::vector<std::pair<std::string, std::string>> params(const PeArith& pe) const = 0;
  virtual std::string label(const PeArith& pe) const = 0;
  // Throws std::invalid_argument if the windows are not a valid configuration.
  virtual void validate(const PeArith& pe) const = 0;
  // The narrowest accumulator that holds one addend (an 8x8 product: 16; a pair sum: 17).
  int min_acc_bits() const { return pairs_ ? 17 : 16; }

  // --- Datapath traits (data, so that hot loops read them without a call).
  bool consumes_pairs() const { return pairs_; }    // one activation pair per operand slot
  int multipliers() const { return multipliers_; }  // multipliers per PE
  bool detects_zeros() const { return zeros_; }     // zero detectors + combined modes
  // Multiplier slots one useful operand slot keeps busy.
  int busy_slots(PairMode m) const { return busy_[static_cast<int>(m)]; }

  // --- Datapath (pair designs; int8 has no front end or pair multiplexer).
  // The front end: the encoded pair a PE (or the row edge) produces.
  virtual EncodedPair encode(std::uint8_t a1, std::uint8_t a2, const PeArith& pe) const = 0;
  // The pair multiplexer, multiplier side.
  virtual LaneOperands route(const EncodedPair& e, std::int8_t w1, std::int8_t w2, const PeArith& pe) const = 0;
  virtual PeWidths widths(const PeArith& pe, LodPlacement lod, int acc_bits) const = 0;
  // The encoded operand as the inter-PE register holds it (edge LOD): the
  // routed lanes' windows and shift codes and the pair mode, packed per
  // widths(); unused bits are 0. unpack() inverts it (window flags are not stored).
  virtual std::uint32_t pack(const EncodedPair& e, const PeArith& pe) const = 0;
  virtual EncodedPair unpack(std::uint32_t bits, const PeArith& pe) const = 0;

  // --- Cost model: the activation front end (LOD .. operand side of the pair
  // mux, wherever it sits) and the PE datapath (multipliers .. registers).
  virtual void frontend_parts(const PeArith& pe, CostParts& out) const = 0;
  virtual void datapath_parts(const PeArith& pe, const PeContext& ctx, CostParts& out) const = 0;

 protected:
  PeDesign(std::string name, bool pairs, int multipliers, bool zeros, std::array<int, 4> busy)
      : name_(std::move(name)), pairs_(pairs), multipliers_(multipliers), zeros_(zeros), busy_(busy) {}

 private:
  std::string name_;
  bool pairs_;
  int multipliers_;
  bool zeros_;
  std::array<int, 4> busy_;  // by PairMode
};

// --- Registry.
// The designs, in registration order (int8, int4, bsparq, vsparq, ...).
const std::vector<const PeDesign*>& pe_designs();
// Throws std::invalid_argument naming the known designs.
const PeDesign& find_pe_design(const std::string& name);
// The union of every design's keys (a key shared by designs has one default).
std::vector<DesignKey> pe_design_keys();

inline bool consumes_pairs(const PeDesign* d) {
  return d->consumes_pairs();
}
inline const char* to_string(const PeDesign* d) {
  return d->name().c_str();
}

// Encode an activation pair as the design's front end does.
inline EncodedPair encode_pair(std::uint8_t a1, std::uint8_t a2, const PeArith& pe) {
  return pe.design->encode(a1, a2, pe);
}
inline LaneOperands route_pair(const EncodedPair& e, std::int8_t w1, std::int8_t w2, const PeArith& pe) {
  return pe.design->route(e, w1, w2, pe);
}
// Convenience: the effective (trimmed) activations for a pair under a design
// (pair_product = a1'*w1 + a2'*w2); the identity for designs without pairs.
std::array<int, 2> effective_activations(std::uint8_t a1, std::uint8_t a2, const PeArith& pe);

// Shift code: the index of shift s in the ascending shift set `mask`
// (throws std::logic_error if s is not in it); code_shift inverts it;
// code_bits = ceil(log2 |S|).
int shift_code(int s, std::uint16_t mask);
int code_shift(int code, std::uint16_t mask);
int code_bits(std::uint16_t mask);

}  // namespace sparq
