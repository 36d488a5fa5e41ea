// One string table per enum, beside the enum: to_string, parsing and the list
// of choices for help texts and error messages all read it, so a value's name
// is written exactly once. Plain C++ (no SystemC, no yaml-cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>

namespace sparq {

template <class E>
struct EnumName {
  E value;
  const char* name;
};

// Specialized next to each enum: `static constexpr EnumName<E> table[] = {...};`
// and `static constexpr const char* what = "dataflow";` (for messages).
template <class E>
struct EnumTable;

template <class E>
const char* enum_name(E v) {
  for (const auto& e : EnumTable<E>::table)
    if (e.value == v) return e.name;
  return "?";
}

// "a | b | c", for help texts.
template <class E>
std::string enum_choices(const char* sep = " | ") {
  std::string s;
  for (const auto& e : EnumTable<E>::table) s += (s.empty() ? "" : sep) + std::string(e.name);
  return s;
}

// Throws std::invalid_argument "unknown <what> 'x' (expected a, b or c)".
template <class E>
E parse_enum(const std::string& text) {
  for (const auto& e : EnumTable<E>::table)
    if (text == e.name) return e.value;
  std::string list;
  const std::size_t n = std::size(EnumTable<E>::table);
  for (std::size_t i = 0; i < n; ++i)
    list += (i == 0 ? "" : (i + 1 == n ? " or " : ", ")) + std::string(EnumTable<E>::table[i].name);
  throw std::invalid_argument(std::string("unknown ") + EnumTable<E>::what + " '" + text + "' (expected " + list + ")");
}

// --- Array-level enums shared by the hardware model and the cost model.

enum class Dataflow : std::uint8_t { WS, OS };
template <>
struct EnumTable<Dataflow> {
  static constexpr const char* what = "dataflow";
  static constexpr EnumName<Dataflow> table[] = {{Dataflow::WS, "ws"}, {Dataflow::OS, "os"}};
};

// Where leading-one detection (the activation front end) sits.
enum class LodPlacement : std::uint8_t { PE, Edge };
template <>
struct EnumTable<LodPlacement> {
  static constexpr const char* what = "leading-one placement";
  static constexpr EnumName<LodPlacement> table[] = {{LodPlacement::PE, "pe"}, {LodPlacement::Edge, "edge"}};
};

// ws: whether each PE holds a second (shadow) weight register so the next
// fold's weights shift in while the current fold streams; os: whether each PE
// holds a second (output) register so finished outputs shift out while the
// next tile accumulates (docs/hardware.md "Weight buffering").
enum class WeightBuffering : std::uint8_t { Single, Double };
template <>
struct EnumTable<WeightBuffering> {
  static constexpr const char* what = "weight buffering";
  static constexpr EnumName<WeightBuffering> table[] = {{WeightBuffering::Single, "single"},
                                                        {WeightBuffering::Double, "double"}};
};

inline const char* to_string(Dataflow d) {
  return enum_name(d);
}
inline const char* to_string(LodPlacement l) {
  return enum_name(l);
}
inline const char* to_string(WeightBuffering b) {
  return enum_name(b);
}

}  // namespace sparq
