// _sparq: the Python binding of the simulator library (python/sparq/__init__.py
// is the Pythonic face; docs/python.md the reference). It calls the same
// library functions the CLI does: load_run_config for configurations,
// run_layer_trace (the per-layer body of `sparq-sim run`) for layers held in
// numpy arrays, run_network for network bundles, and the functional core's
// window select and pair rule for the vectorized arithmetic. Nothing is
// written to disk. Errors: sparq::InputError (and std::invalid_argument from
// the core) become sparq.InputError (a ValueError), with the CLI's message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bundle.h"
#include "config.h"
#include "errors.h"
#include "fast_gemm.h"
#include "network.h"
#include "network_exec.h"
#include "pe_design.h"
#include "runner.h"
#include "sparq_arith.h"
#include "stats.h"

namespace py = pybind11;

namespace sparq {
namespace {

// A wrong dtype or argument type: sparq.InputTypeError (InputError and TypeError).
class InputTypeError : public InputError {
 public:
  using InputError::InputError;
};

std::string dtype_str(const py::array& a) {
  return py::str(a.dtype().attr("str")).cast<std::string>();
}

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

std::vector<std::int64_t> shape_of(const py::array& a) {
  std::vector<std::int64_t> s;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s.push_back(static_cast<std::int64_t>(a.shape(i)));
  return s;
}

// obj as a numpy array, or InputTypeError "<where>: expected a numpy array, got <type>".
py::array require_array(const py::object& obj, const std::string& where) {
  if (!py::isinstance<py::array>(obj))
    throw InputTypeError(where + ": expected a numpy array, got " +
                         py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
  return py::reinterpret_borrow<py::array>(obj);
}

// The array as T (C order), after checking dtype and shape like the bundle
// reader checks a .npy file ("has dtype <f8, expected <f4").
template <typename T>
std::vector<T> take(const py::object& obj, const std::string& where, const char* expected_descr,
                    const std::vector<std::int64_t>& shape) {
  const py::array a = require_array(obj, where);
  if (!py::isinstance<py::array_t<T>>(a))
    throw InputTypeError(where + " has dtype " + dtype_str(a) + ", expected " + expected_descr);
  if (shape_of(a) != shape)
    throw InputError(where + " has shape " + shape_str(shape_of(a)) + ", the geometry implies " + shape_str(shape));
  const auto c = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
  std::vector<T> v(static_cast<std::size_t>(c.size()));
  if (!v.empty()) std::memcpy(v.data(), c.data(), v.size() * sizeof(T));
  return v;
}

template <typename T>
py::array_t<T> to_numpy(const std::vector<T>& v, const std::vector<std::int64_t>& shape) {
  std::vector<py::ssize_t> s(shape.begin(), shape.end());
  py::array_t<T> a(s);
  if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
  return a;
}

// SystemC keeps its current simulation context in a process-wide variable:
// simulations started from several Python threads (the GIL is released
// while simulating) run one at a time.
std::mutex& simulation_mutex() {
  static std::mutex m;
  return m;
}

// A StatGroup as (name, description, [(name, value, unit, description)], [children]);
// value: int for integer stats, float, str for text, None when undefined.
py::tuple stat_tree(const StatGroup& g) {
  py::list stats, children;
  for (const Stat& s : g.stats()) {
    py::object v;
    if (s.unit == "text")
      v = py::str(s.text);
    else if (!s.defined)
      v = py::none();
    else if (s.integer)
      v = py::int_(static_cast<long long>(s.value));
    else
      v = py::float_(s.value);
    stats.append(py::make_tuple(s.name, v, s.unit == "text" ? std::string() : s.unit, s.desc));
  }
  for (const StatGroup& c : g.children()) children.append(stat_tree(c));
  return py::make_tuple(g.name(), g.description(), stats, children);
}

// docs: list of (is_file, name, text, base_dir).
RunConfig load_config(const std::vector<std::tuple<bool, std::string, std::string, std::string>>& docs,
                      const std::vector<std::string>& overrides) {
  std::vector<ConfigDocument> d;
  for (const auto& [is_file, name, text, base] : docs)
    d.push_back(is_file ? ConfigDocument::file(name) : ConfigDocument::yaml(name, text, base));
  return load_run_config(d, overrides, false);
}

// Runs one layer given as arrays under every design of cfg. Returns
// (exact int8 accumulators, [(design name, accumulators or None, stats tree)]).
py::tuple run_layer(const RunConfig& cfg, const std::string& name, const std::string& op, const py::object& input,
                    const py::object& weights, const py::object& weight_scales, const py::object& bias,
                    const py::object& float_output, double activation_scale, const std::vector<int>& stride,
                    const std::vector<int>& dilation, const std::vector<int>& padding, int groups, bool functional) {
  const std::string where = "run_layer: layer '" + name + "'";
  if (op != "conv2d" && op != "depthwise_conv2d" && op != "dense")
    throw InputError(where + ": op must be conv2d, depthwise_conv2d or dense, got '" + op + "'");
  const py::array in = require_array(input, where + ": input");
  const py::array w = require_array(weights, where + ": weights");
  if (in.ndim() != 3)
    throw InputError(where + ": input has shape " + shape_str(shape_of(in)) + ", expected [H, W, C_in]");
  if (w.ndim() != 4)
    throw InputError(where + ": weights has shape " + shape_str(shape_of(w)) +
                     ", expected [KH, KW, C_in/groups, C_out]");
  if (stride.size() != 2 || dilation.size() != 2 || padding.size() != 4)
    throw InputError(where + ": stride and dilation take 2 values, padding 4 (top, bottom, left, right)");
  // Dimensions past int (a broadcast view can be that large without the memory) would wrap.
  for (const auto& [a, what] : {std::pair<const py::array*, const char*>{&in, "input"}, {&w, "weights"}})
    for (py::ssize_t i = 0; i < a->ndim(); ++i)
      if (a->shape(i) > std::numeric_limits<int>::max())
        throw InputError(where + ": " + what + " has shape " + shape_str(shape_of(*a)) + ": dimension " +
                         std::to_string(i) + " is above 2^31-1");
  LayerTrace t;
  LayerInfo& L = t.info;
  L.name = name;
  L.op = op;
  const bool is_signed = py::isinstance<py::array_t<std::int8_t>>(in);
  L.activation_signed = is_signed;
  L.activation_scale = activation_scale;
  ConvGeometry& g = L.geo;
  g.H = static_cast<int>(in.shape(0)), g.W = static_cast<int>(in.shape(1)), g.C_in = static_cast<int>(in.shape(2));
  g.KH = static_cast<int>(w.shape(0)), g.KW = static_cast<int>(w.shape(1)), g.C_out = static_cast<int>(w.shape(3));
  g.SH = stride[0], g.SW = stride[1], g.DH = dilation[0], g.DW = dilation[1];
  g.pad_top = padding[0], g.pad_bottom = padding[1], g.pad_left = padding[2], g.pad_right = padding[3];
  g.groups = groups;
  try {
    g.validate();
  } catch (const std::invalid_argument& e) {
    throw InputError(where + ": bad geometry: " + e.what());
  }
  if (op == "dense" && (g.H != 1 || g.W != 1 || g.KH != 1 || g.KW != 1))
    throw InputError(where + ": op: a dense layer must be stored as a 1x1 conv on a 1x1 input");
  if (op == "depthwise_conv2d" && g.groups != g.C_in)
    throw InputError(where + ": groups: must equal C_in for depthwise_conv2d");
  if (!(activation_scale > 0) || !std::isfinite(activation_scale))
    throw InputError(where + ": activation_scale: must be a positive finite number");
  if (is_signed) {
    const auto v = take<std::int8_t>(input, where + ": input", "|u1 or |i1", {g.H, g.W, g.C_in});
    t.input.assign(v.begin(), v.end());  // two's complement bytes, as a bundle's |i1 input
  } else {
    t.input = take<std::uint8_t>(input, where + ": input", "|u1 or |i1", {g.H, g.W, g.C_in});
  }
  t.weights = take<std::int8_t>(weights, where + ": weights", "|i1", {g.KH, g.KW, g.cin_per_group(), g.C_out});
  if (weight_scales.is_none())
    t.weight_scales.assign(static_cast<std::size_t>(g.C_out), 1.0f);
  else
    t.weight_scales = take<float>(weight_scales, where + ": weight_scales", "<f4", {g.C_out});
  if (!bias.is_none()) t.bias = take<float>(bias, where + ": bias", "<f4", {g.C_out});
  if (!float_output.is_none()) {
    L.float_output = ArrayRef{};
    t.float_output = take<float>(float_output, where + ": float_output", "<f4", {g.H_out(), g.W_out(), g.C_out});
  }
  if (!t.bias.empty()) L.bias = ArrayRef{};
  check_layer_values(t, where);

  std::vector<std::vector<std::int64_t>> acc;
  std::vector<std::int64_t> exact;
  const std::int64_t pixels = simulated_pixels(g, cfg.max_pixels);
  const std::vector<std::int64_t> shape = accumulator_shape(g, pixels);
  RunOutcome r;      // the array model's outcome (statistics); empty for the functional core
  if (functional) {  // the functional core: accumulators only, no timing, no statistics
    const auto first = [&](std::vector<std::int64_t> v) {
      v.resize(static_cast<std::size_t>(pixels * g.C_out));
      return v;
    };
    py::gil_scoped_release release;
    exact = first(functional_conv(g, t.input.data(), t.weights.data(), PeArith::int8(), 64, is_signed));
    for (const DesignPoint& d : cfg.designs)  // signed activations: the pair designs run at int8, as `run`
      acc.push_back(first(functional_conv(g, t.input.data(), t.weights.data(), layer_design(d, L).array.pe,
                                          d.array.acc_bits, is_signed)));
  } else {
    py::gil_scoped_release release;
    const std::lock_guard<std::mutex> lock(simulation_mutex());
    r = run_layer_trace(cfg, t, &acc, &exact);
  }
  py::list designs;
  for (std::size_t d = 0; d < cfg.designs.size(); ++d)
    designs.append(py::make_tuple(cfg.designs[d].name, to_numpy(acc[d], shape),
                                  functional ? py::object(py::none()) : stat_tree(design_stats(cfg, r.designs[d]))));
  return py::make_tuple(to_numpy(exact, shape), designs);
}

// Runs a network bundle's images under every design of cfg (network.* keys
// apply). Per design: (name, logits [images, classes], probabilities,
// accumulators of every conv/dense node for the timed image {node: array} or
// None, timed-image stats per node {node: stats tree}).
py::tuple run_network_bundle(const RunConfig& cfg, const std::string& dir, bool keep_acc, const py::object& memory) {
  const NetworkOptions& nopt = cfg.network;
  // A network held in memory: (name, manifest YAML, {array name: .npy bytes}).
  std::string mem_name, mem_manifest;
  NetworkArrays mem_arrays;
  const bool in_memory = !memory.is_none();
  if (in_memory) {
    const auto t = memory.cast<py::tuple>();
    mem_name = t[0].cast<std::string>();
    mem_manifest = t[1].cast<std::string>();
    for (const auto& kv : t[2].cast<py::dict>()) {
      const std::string bytes = kv.second.cast<std::string>();
      mem_arrays[kv.first.cast<std::string>()] = std::vector<std::uint8_t>(bytes.begin(), bytes.end());
    }
  }
  Network net;
  std::vector<std::vector<float>> logits(cfg.designs.size()), probs(cfg.designs.size()), float_logits;
  std::vector<NetResult> timed(cfg.designs.size());
  std::vector<int> int8_layers(cfg.designs.size());
  {
    py::gil_scoped_release release;
    const std::lock_guard<std::mutex> lock(simulation_mutex());
    net = in_memory ? read_network_memory(mem_name, mem_manifest, mem_arrays, nopt.images)
                    : read_network(dir, true, nopt.images);
    check_cycles_image(nopt, net, cfg.config_file);
    for (std::size_t d = 0; d < cfg.designs.size(); ++d) {
      const NetPlan plan = network_plan(net, cfg.designs[d], nopt, cfg.config_file, &int8_layers[d]);
      hw::StructuralSession session;
      for (int img = 0; img < net.images; ++img) {
        NetRunOptions o;
        if (plan.engine == NetEngine::Array) o.session = &session;
        const bool is_timed = img == static_cast<int>(nopt.cycles_image);
        o.keep_acc = keep_acc && is_timed;
        NetResult res = run_network(net, img, plan, o);
        logits[d].insert(logits[d].end(), res.logits.begin(), res.logits.end());
        probs[d].insert(probs[d].end(), res.probabilities.begin(), res.probabilities.end());
        if (is_timed) {
          res.stats = image_array_stats(net, img, plan, std::move(res.stats));
          timed[d] = std::move(res);
        }
      }
    }
  }
  const std::vector<std::int64_t> lshape{net.images, net.classes};
  py::list designs;
  for (std::size_t d = 0; d < cfg.designs.size(); ++d) {
    py::dict acc, stats;
    for (std::size_t i = 0; i < net.nodes.size(); ++i) {
      const NetNode& n = net.nodes[i];
      if (!is_weighted(n.op)) continue;
      if (keep_acc && i < timed[d].layer_acc.size())
        acc[py::str(n.name)] = to_numpy(timed[d].layer_acc[i], {n.geo.H_out(), n.geo.W_out(), n.geo.C_out});
      if (i < timed[d].stats.size()) {
        StatGroup g(n.name, net_op_name(n.op) + std::string(" ") + n.geo.describe());
        add_array_stats(g, timed[d].stats[i], cfg.designs[d].clock_mhz, cfg.scalesim_compatible, false);
        stats[py::str(n.name)] = stat_tree(g);
      }
    }
    designs.append(py::make_tuple(cfg.designs[d].name, to_numpy(logits[d], lshape), to_numpy(probs[d], lshape),
                                  keep_acc ? py::object(acc) : py::object(py::none()), stats, int8_layers[d]));
  }
  return py::make_tuple(net.name, net.images, to_numpy(net.float_logits, lshape), designs);
}

WindowSpec window_spec(const std::string& shift_set, int window_bits, const std::string& rounding) {
  Rounding r = Rounding::Round;
  try {
    r = parse_enum<Rounding>(rounding);
  } catch (const std::invalid_argument& e) {
    throw InputError(std::string("rounding: ") + e.what());
  }
  WindowSpec w;
  bool is_preset = false;
  for (const auto& p : preset_names()) is_preset |= p == shift_set;
  if (is_preset) {
    w = preset(shift_set, r);
  } else {
    try {
      w.shift_mask = parse_shift_set(shift_set);
    } catch (const std::exception& e) {
      throw InputError("shift_set: '" + shift_set + "' is neither a preset nor a list of shifts: " + e.what());
    }
    w.rounding = r;
  }
  if (window_bits > 0) w.n = window_bits;
  try {
    w.validate();
  } catch (const std::invalid_argument& e) {
    throw InputError(std::string("window: ") + e.what());
  }
  return w;
}

py::array_t<std::uint8_t> as_u8(const py::object& obj, const char* what) {
  const py::array a = require_array(obj, what);
  if (!py::isinstance<py::array_t<std::uint8_t>>(a))
    throw InputTypeError(std::string(what) + " has dtype " + dtype_str(a) + ", expected |u1");
  return py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(a);
}

std::vector<py::ssize_t> dims(const py::array& a) {
  return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

// bSPARQ window select over an array: (value uint16, contents uint8, shift
// uint8, rounded_up bool, saturated bool, renormed bool).
py::tuple window_select(const py::object& obj, const std::string& shift_set, int window_bits,
                        const std::string& rounding) {
  const WindowSpec spec = window_spec(shift_set, window_bits, rounding);
  const auto a = as_u8(obj, "window: a");
  const auto shape = dims(a);
  py::array_t<std::uint16_t> value(shape);
  py::array_t<std::uint8_t> v(shape), s(shape);
  py::array_t<bool> up(shape), sat(shape), ren(shape);
  const std::uint8_t* in = a.data();
  // The 256 windows once, then a table lookup per element.
  Window table[256];
  for (int x = 0; x < 256; ++x) table[x] = select_window(static_cast<std::uint8_t>(x), spec);
  for (py::ssize_t i = 0; i < a.size(); ++i) {
    const Window& wi = table[in[i]];
    value.mutable_data()[i] = static_cast<std::uint16_t>(wi.value());
    v.mutable_data()[i] = wi.v;
    s.mutable_data()[i] = wi.s;
    up.mutable_data()[i] = wi.rounded_up;
    sat.mutable_data()[i] = wi.saturated;
    ren.mutable_data()[i] = wi.renormed;
  }
  return py::make_tuple(value, v, s, up, sat, ren);
}

// The pair rule of a PE design (its front end: zero detectors, windows, pair
// mux) over two arrays of the same shape: (a1' int16, a2' int16, mode uint8)
// with pair_product = a1'*w1 + a2'*w2; mode indexes PAIR_MODES.
py::tuple pair_rule(const py::object& o1, const py::object& o2, const PeArith& pe) {
  const auto a1 = as_u8(o1, "pair_rule: a1");
  const auto a2 = as_u8(o2, "pair_rule: a2");
  if (dims(a1) != dims(a2))
    throw InputError("pair_rule: a1 has shape " + shape_str(shape_of(a1)) + " but a2 has shape " +
                     shape_str(shape_of(a2)) + "; they must be equal");
  const auto shape = dims(a1);
  py::array_t<std::int16_t> e1(shape), e2(shape);
  py::array_t<std::uint8_t> mode(shape);
  const auto one = [&](std::uint8_t x1, std::uint8_t x2, std::int16_t& f1, std::int16_t& f2, std::uint8_t& md) {
    const EncodedPair e = pe.design->encode(x1, x2, pe);
    const auto eff = effective_pair(e);
    f1 = static_cast<std::int16_t>(eff[0]);
    f2 = static_cast<std::int16_t>(eff[1]);
    md = static_cast<std::uint8_t>(e.mode);
  };
  const std::uint8_t *p1 = a1.data(), *p2 = a2.data();
  std::int16_t *q1 = e1.mutable_data(), *q2 = e2.mutable_data();
  std::uint8_t* om = mode.mutable_data();
  const auto n = static_cast<std::size_t>(a1.size());
  if (n <= 65536) {
    for (std::size_t i = 0; i < n; ++i) one(p1[i], p2[i], q1[i], q2[i], om[i]);
  } else {  // every pair once, then a table lookup per element
    std::vector<std::int16_t> t1(65536), t2(65536);
    std::vector<std::uint8_t> tm(65536);
    for (std::size_t k = 0; k < 65536; ++k)
      one(static_cast<std::uint8_t>(k >> 8), static_cast<std::uint8_t>(k & 255), t1[k], t2[k], tm[k]);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = static_cast<std::size_t>(p1[i]) << 8 | p2[i];
      q1[i] = t1[k], q2[i] = t2[k], om[i] = tm[k];
    }
  }
  return py::make_tuple(e1, e2, mode);
}

// The networks' activation quantizer over a float32 array: (uint8 or int8 array).
py::array quantize(const py::object& obj, double scale, bool is_signed) {
  if (!(scale > 0) || !std::isfinite(scale)) throw InputError("quantize: scale must be a positive finite number");
  const std::vector<std::int64_t> shape =
      py::isinstance<py::array>(obj) ? shape_of(py::reinterpret_borrow<py::array>(obj)) : std::vector<std::int64_t>{};
  const std::vector<float> x = take<float>(obj, "quantize: x", "<f4", shape);
  const std::vector<std::uint8_t> q = quantize_activations(x, static_cast<float>(scale), is_signed);
  const py::array_t<std::uint8_t> u = to_numpy(q, shape);
  return is_signed ? py::array(u.attr("view")("int8")) : py::array(u);
}

}  // namespace
}  // namespace sparq

PYBIND11_MODULE(_sparq, m) {
  using namespace sparq;
  m.doc() = "sparq-sim's simulator library (use the `sparq` package, not this module)";
  m.attr("__version__") = SPARQ_VERSION;
  // Exceptions: InputError is a ValueError; its TypeError and FileNotFoundError flavours derive from both.
  static py::exception<InputError> input_error(m, "InputError", PyExc_ValueError);
  static py::exception<InputTypeError> type_error(m, "InputTypeError",
                                                  py::make_tuple(input_error, py::handle(PyExc_TypeError)).release());
  static py::object not_found = py::reinterpret_steal<py::object>(
      PyErr_NewException("_sparq.InputFileNotFoundError",
                         py::make_tuple(input_error, py::handle(PyExc_FileNotFoundError)).ptr(), nullptr));
  m.attr("InputFileNotFoundError") = not_found;
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputTypeError& e) {
      PyErr_SetString(type_error.ptr(), e.what());
    } catch (const InputError& e) {
      const std::string w = e.what();
      // The loaders' messages for a missing file or directory end in "not found"
      // (yaml-cpp's for malformed YAML may too: "end of map flow not found").
      const bool missing =
          w.find(" not found") != std::string::npos && w.find(": malformed YAML: ") == std::string::npos;
      PyErr_SetString(missing ? not_found.ptr() : input_error.ptr(), e.what());
    } catch (const std::invalid_argument& e) {
      PyErr_SetString(input_error.ptr(), e.what());
    }
  });

  py::class_<RunConfig>(m, "RunConfig")
      .def_property_readonly("designs",
                             [](const RunConfig& c) {
                               std::vector<std::string> n;
                               for (const auto& d : c.designs) n.push_back(d.name);
                               return n;
                             })
      .def_readonly("effective_yaml", &RunConfig::effective_yaml)
      .def_readonly("source", &RunConfig::config_file)
      .def_readonly("max_pixels", &RunConfig::max_pixels)
      .def_property_readonly("network_bundle", [](const RunConfig& c) { return c.network.bundle; })
      .def_property_readonly("trace_bundle", [](const RunConfig& c) { return c.bundle; });
  py::class_<PeArith>(m, "PeArith").def_property_readonly("label", &PeArith::label);

  m.def("load_config", &load_config, py::arg("docs"), py::arg("overrides"));
  m.def(
      "design_pe",
      [](const RunConfig& c, std::size_t i) {
        if (i >= c.designs.size()) throw InputError("design index out of range");
        return c.designs[i].array.pe;
      },
      py::arg("config"), py::arg("index"));
  m.def("run_layer", &run_layer, py::arg("config"), py::arg("name"), py::arg("op"), py::arg("input"),
        py::arg("weights"), py::arg("weight_scales"), py::arg("bias"), py::arg("float_output"),
        py::arg("activation_scale"), py::arg("stride"), py::arg("dilation"), py::arg("padding"), py::arg("groups"),
        py::arg("functional"));
  m.def("run_network", &run_network_bundle, py::arg("config"), py::arg("bundle"), py::arg("keep_acc"),
        py::arg("memory"));
  m.def("window_select", &window_select, py::arg("a"), py::arg("shift_set"), py::arg("window_bits"),
        py::arg("rounding"));
  m.def("pair_rule", &pair_rule, py::arg("a1"), py::arg("a2"), py::arg("pe"));
  m.def("quantize", &quantize, py::arg("x"), py::arg("scale"), py::arg("signed"));
  m.def("config_reference", &config_reference);
  m.def("preset_names", &preset_names);
  py::list modes;
  for (PairMode pm : {PairMode::BothNonzero, PairMode::FirstZero, PairMode::SecondZero, PairMode::BothZero})
    modes.append(to_string(pm));
  m.attr("PAIR_MODES") = py::tuple(modes);
}
