// The `infer` command: a whole network bundle over its image set, per PE
// design, each layer's input quantized from the previous layers' outputs as
// the same design computed them (error propagates). Reports top-1 agreement
// with the float and the exact-int8 network, KL divergence and SQNR of the
// outputs, the per-layer SQNR along the network, and one image's whole
// inference on the array model (cycles, MACs, utilization, energy, images
// per second). Results are written as one atomic set, like `run`.
#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "atomic_file.h"
#include "bundle.h"
#include "cli.h"
#include "config.h"
#include "cost_library.h"
#include "cost_report.h"
#include "csv.h"
#include "errors.h"
#include "metrics.h"
#include "network.h"
#include "network_exec.h"
#include "plots.h"
#include "report_html.h"
#include "safe_io.h"
#include "stats.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace sparq {

namespace {

int argmax(const std::vector<float>& v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

// KL(p || q) in nats, q floored at 1e-12.
double kl_divergence(const float* p, const std::vector<float>& q) {
  double kl = 0;
  for (std::size_t c = 0; c < q.size(); ++c)
    if (p[c] > 0) kl += p[c] * std::log(static_cast<double>(p[c]) / std::max(static_cast<double>(q[c]), 1e-12));
  return kl;
}

struct SqAcc {  // pooled SQNR: sums of ref^2 and err^2
  double ref = 0, err = 0;
  void add(const float* ref_v, const std::vector<float>& v) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      const double d = static_cast<double>(v[i]) - ref_v[i];
      ref += static_cast<double>(ref_v[i]) * ref_v[i];
      err += d * d;
    }
  }
  void merge(const SqAcc& o) {
    ref += o.ref;
    err += o.err;
  }
  double db() const { return err > 0 ? 10 * std::log10(ref / err) : INFINITY; }
};

// One image under one design.
struct ImageOutcome {
  int top1 = 0;
  double kl = 0;
  SqAcc logits, probs;
  std::vector<SqAcc> layers;  // per weighted node (order of Network::nodes' weighted nodes)
};

struct DesignRun {
  DesignPoint design;
  ArrayCost cost;
  NetPlan plan;
  int int8_layers = 0;             // weighted nodes this design runs at int8 (overrides, first layer, signed inputs)
  bool is_int8_reference = false;  // its plan computes exactly the exact-int8 network: reuse those results
  std::vector<ImageOutcome> images;
  // one image on the array model
  std::vector<hw::ArrayStats> node_stats;  // per node
  hw::ArrayStats stats;
  double energy_pj = 0;
};

std::string fmt(double v, int prec) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

}  // namespace

int cmd_infer(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description opts("sparq-sim infer CONFIG.yaml [MORE.yaml ...] [options]");
  std::vector<std::string> configs, sets;
  std::string out_dir, engine, network, dump_dir, dump_layers;
  std::int64_t images = -1;
  int jobs = -1;
  opts.add_options()("help,h", "this help")("set,s", po::value(&sets)->composing(),
                                            "override a configuration key: --set network.images=10 (repeatable)")(
      "out,o", po::value(&out_dir), "output directory (output.dir)")("network,n", po::value(&network),
                                                                     "network bundle directory (network.bundle)")(
      "images", po::value(&images), "only the first N images (network.images; 0 = all)")(
      "engine", po::value(&engine), "functional | array (network.engine)")(
      "jobs,j", po::value(&jobs), "threads over images (network.jobs; functional engine)")(
      "dump-inputs", po::value(&dump_dir),
      "write each design's propagated layer inputs (image network.cycles_image) as trace bundles DIR/<design>")(
      "dump-layers", po::value(&dump_layers), "with --dump-inputs: these conv/dense nodes (default: all)")(
      "quiet,q", "no table on stdout");
  const po::variables_map vm = parse_command(args, opts, &configs, -1);
  if (vm.count("help")) {
    out << opts
        << "\nRuns a whole network bundle (traces/README.md, Network bundles) over its images under every\n"
           "configured PE design (compare: or pe:), the network: section saying which bundle and how:\n"
           "  network: {bundle: DIR, images: 0, engine: functional | array, first_layer: int8 | design,\n"
           "            overrides: {NODE: int8 | design}, cycles_image: 0, jobs: 0}\n"
           "Signed-input nodes run int8 under every design (SPARQ takes unsigned activations). The array\n"
           "model times one image (cycles_image) per design; engine: array runs every image on it.\n"
           "Writes OUT/{effective_config.yaml, results.json, summary.csv, layers.csv, images.csv,\n"
           "error_growth.svg, report.html, result_manifest.txt}.\n";
    return 0;
  }
  if (configs.empty()) throw InputError("infer: a configuration file is required (sparq-sim infer CONFIG.yaml)");
  if (!out_dir.empty()) sets.push_back("output.dir=" + yaml_quote(out_dir));
  if (!network.empty()) sets.push_back("network.bundle=" + yaml_quote(network));
  if (images >= 0) sets.push_back("network.images=" + std::to_string(images));
  if (!engine.empty()) sets.push_back("network.engine=" + yaml_quote(engine));
  if (jobs >= 0) sets.push_back("network.jobs=" + std::to_string(jobs));
  if (vm.count("quiet")) sets.push_back("output.quiet=true");
  const RunConfig cfg = load_run_config(configs, sets, false);
  const NetworkOptions& nopt = cfg.network;
  if (nopt.bundle.empty())
    throw InputError(cfg.config_file + ": network.bundle is required (a network bundle directory)");
  ensure_directory(cfg.output_dir);
  std::ostream& progress = cfg.quiet ? std::cerr : err;
  const auto t_start = std::chrono::steady_clock::now();
  const Network net = read_network(nopt.bundle, true, nopt.images);
  check_cycles_image(nopt, net, cfg.config_file);
  std::vector<char> capture(net.nodes.size(), 0);
  if (!dump_dir.empty()) {
    const auto names = split_list({dump_layers});
    for (std::size_t i = 0; i < net.nodes.size(); ++i) capture[i] = names.empty() && is_weighted(net.nodes[i].op);
    for (const auto& nm : names) {
      const int idx = net.node_index(nm);
      if (idx < 0 || !is_weighted(net.nodes[static_cast<std::size_t>(idx)].op))
        throw InputError("--dump-layers: " + net.manifest_path + " has no conv or dense node '" + nm + "'");
      capture[static_cast<std::size_t>(idx)] = 1;
    }
  }
  std::vector<int> weighted;  // node indices of conv / dense nodes
  for (std::size_t i = 0; i < net.nodes.size(); ++i)
    if (is_weighted(net.nodes[i].op)) weighted.push_back(static_cast<int>(i));
  const CellLibrary lib = load_cell_library(cfg.cost_library);

  std::vector<DesignRun> runs;
  for (const DesignPoint& d : cfg.designs) {
    DesignRun r;
    r.design = d;
    r.cost = design_cost(d, lib);
    r.plan = network_plan(net, d, nopt, cfg.config_file, &r.int8_layers);
    r.images.resize(static_cast<std::size_t>(net.images));
    runs.push_back(std::move(r));
  }
  // engine: array runs on one thread, with one structural session (SystemC
  // keeps one simulation context per process; the session re-elaborates
  // when the array configuration changes).
  hw::StructuralSession session;
  NetPlan int8_plan;
  int8_plan.engine = NetEngine::Functional;
  int8_plan.acc_bits = 32;
  int8_plan.pe.assign(net.nodes.size(), PeArith::int8());
  NetPlan float_plan;
  // A design whose functional plan is the exact-int8 one (the int8 baseline)
  // scores the int8 network's per-image results instead of recomputing them.
  for (DesignRun& d : runs)
    d.is_int8_reference = d.plan.engine == NetEngine::Functional && d.plan.acc_bits == int8_plan.acc_bits &&
                          std::all_of(weighted.begin(), weighted.end(),
                                      [&](int i) { return d.plan.pe[static_cast<std::size_t>(i)] == PeArith::int8(); });

  progress << "network " << net.name << " (" << net.model_name << "): " << net.nodes.size() << " nodes, "
           << weighted.size() << " conv/dense, " << net.images << " images, " << runs.size() << " design(s), engine "
           << nopt.engine << "\n";
  // Per image: the float graph (sparq-sim's), the exact-int8 network, every design.
  std::vector<int> float_top1(static_cast<std::size_t>(net.images)), int8_top1(float_top1.size()),
      ref_top1(float_top1.size());
  std::vector<double> float_check(float_top1.size());  // max |logit - original| / max |original logit|
  std::vector<ImageOutcome> int8_images(float_top1.size());
  std::atomic<int> next{0}, done{0};
  std::mutex mu;
  std::string failure;
  auto worker = [&]() {
    for (int img; (img = next++) < net.images;) {
      try {
        const std::size_t ui = static_cast<std::size_t>(img);
        const float* ref_logits = net.float_logits.data() + ui * static_cast<std::size_t>(net.classes);
        const float* ref_probs = net.float_probs.data() + ui * static_cast<std::size_t>(net.classes);
        ref_top1[ui] = static_cast<int>(std::max_element(ref_logits, ref_logits + net.classes) - ref_logits);
        NetRunOptions keep;
        keep.keep_layers = true;
        const NetResult fr = run_network(net, img, float_plan, keep);
        float_top1[ui] = argmax(fr.logits);
        double mx = 0, diff = 0;
        for (int c = 0; c < net.classes; ++c) {
          mx = std::max(mx, std::fabs(static_cast<double>(ref_logits[c])));
          diff = std::max(diff, std::fabs(static_cast<double>(fr.logits[static_cast<std::size_t>(c)]) - ref_logits[c]));
        }
        float_check[ui] = diff / std::max(mx, 1e-12);
        auto score = [&](const NetResult& r, ImageOutcome& o) {
          o.top1 = argmax(r.logits);
          o.kl = kl_divergence(ref_probs, r.probabilities);
          o.logits.add(ref_logits, r.logits);
          o.probs.add(ref_probs, r.probabilities);
          o.layers.assign(weighted.size(), SqAcc{});
          for (std::size_t w = 0; w < weighted.size(); ++w) {
            const std::size_t ni = static_cast<std::size_t>(weighted[w]);
            o.layers[w].add(fr.layer_outputs[ni].data(), r.layer_outputs[ni]);
          }
        };
        score(run_network(net, img, int8_plan, keep), int8_images[ui]);
        int8_top1[ui] = int8_images[ui].top1;
        for (std::size_t k = 0; k < runs.size(); ++k) {
          DesignRun& d = runs[k];
          if (d.is_int8_reference) {
            d.images[ui] = int8_images[ui];
            continue;
          }
          NetRunOptions o = keep;
          if (d.plan.engine == NetEngine::Array) o.session = &session;
          NetResult r = run_network(net, img, d.plan, o);
          score(r, d.images[ui]);
          if (d.plan.engine == NetEngine::Array && img == nopt.cycles_image) d.node_stats = std::move(r.stats);
        }
        const int k = ++done;
        const std::lock_guard<std::mutex> lock(mu);
        if (!cfg.quiet)
          progress << "\r  images " << k << "/" << net.images << " ("
                   << fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(), 0) << " s)"
                   << std::flush;
      } catch (const std::exception& e) {
        const std::lock_guard<std::mutex> lock(mu);
        if (failure.empty()) failure = e.what();
        next = net.images;
      }
    }
  };
  int threads = nopt.jobs > 0 ? nopt.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (nopt.engine == "array") threads = 1;  // the array models are not shared between threads
  threads = std::min(threads, net.images);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (!cfg.quiet) progress << "\n";
  if (!failure.empty()) throw std::runtime_error("infer: " + failure);

  // One image's whole inference on the array model, per design.
  const int cimg = static_cast<int>(nopt.cycles_image);
  for (auto& d : runs) {
    const NetPlan& p = d.plan;
    d.node_stats = image_array_stats(net, cimg, p, std::move(d.node_stats));
    for (int i : weighted) {
      const std::size_t ui = static_cast<std::size_t>(i);
      const hw::ArrayStats& st = d.node_stats[ui];
      d.stats.merge(st);
      DesignPoint node_design = d.design;
      node_design.array.pe = p.pe[ui];
      const ArrayCost cost = p.pe[ui] == d.design.array.pe ? d.cost : design_cost(node_design, lib);
      d.energy_pj += estimate_energy(cost, lib, energy_activity(st, node_design)).total_pj;
    }
  }

  // Propagated inputs as layer bundles (traces/README.md), one per design.
  if (!dump_dir.empty()) {
    for (const auto& d : runs) {
      NetRunOptions o;
      o.capture = capture;
      const NetResult r = run_network(net, cimg, d.plan, o);
      BundleManifest meta;
      meta.name = net.name + "-" + d.design.name + "-image" + std::to_string(cimg);
      meta.model_name = net.model_name;
      meta.model_source = net.model_source + " (network bundle " + net.name + ", inputs propagated under " +
                          d.design.name + ", image " + net.image_paths[static_cast<std::size_t>(cimg)] + ")";
      std::vector<LayerTrace> layers;
      for (std::size_t i = 0; i < net.nodes.size(); ++i) {
        if (!capture[i]) continue;
        const NetNode& n = net.nodes[i];
        LayerTrace t;
        t.info.name = n.name;
        t.info.op = net_op_name(n.op);
        t.info.geo = n.geo;
        t.info.activation_signed = n.activation_signed;
        t.info.activation_scale = n.activation_scale;
        t.info.input_source = n.inputs[0] < 0 ? "image_pixels" : net.nodes[static_cast<std::size_t>(n.inputs[0])].name;
        t.input = r.captured_input[i];
        t.weights = n.weights;
        t.weight_scales = n.weight_scales;
        t.bias = n.bias;
        t.float_output = r.captured_float_output[i];
        layers.push_back(std::move(t));
      }
      const std::string dir = (fs::path(dump_dir) / file_component(d.design.name)).string();
      write_bundle(dir, meta, layers);
      progress << "wrote " << layers.size() << " propagated layer input(s) to " << dir << "\n";
    }
  }

  // Aggregate.
  const double N = net.images;
  auto pct = [&](int hits) { return 100.0 * hits / N; };
  int float_agree = 0, int8_float_agree = 0;
  double worst_check = 0;
  for (std::size_t i = 0; i < float_top1.size(); ++i) {
    float_agree += float_top1[i] == ref_top1[i];
    int8_float_agree += int8_top1[i] == ref_top1[i];
    worst_check = std::max(worst_check, float_check[i]);
  }
  struct Summary {
    double top1_float = 0, top1_int8 = 0, kl = 0;
    SqAcc logits, probs;
    std::vector<SqAcc> layers;
  };
  auto summarize = [&](const std::vector<ImageOutcome>& v) {
    Summary s;
    s.layers.assign(weighted.size(), SqAcc{});
    int af = 0, ai = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      af += v[i].top1 == ref_top1[i];
      ai += v[i].top1 == int8_top1[i];
      s.kl += v[i].kl / N;
      s.logits.merge(v[i].logits);
      s.probs.merge(v[i].probs);
      for (std::size_t w = 0; w < weighted.size(); ++w) s.layers[w].merge(v[i].layers[w]);
    }
    s.top1_float = pct(af);
    s.top1_int8 = pct(ai);
    return s;
  };
  const Summary s8 = summarize(int8_images);
  std::vector<Summary> sums;
  for (const auto& d : runs) sums.push_back(summarize(d.images));

  // Results.
  const std::string run_id = new_run_id();
  StatGroup root("infer", "whole-network inference of " + net.name + " over " + std::to_string(net.images) +
                              " images under each PE design");
  root.add_text("run_id", run_id, "identifies this run's result set (result_manifest.txt lists its files)");
  root.add_text("network", net.name, "network bundle name");
  root.add_text("bundle", fs::absolute(net.dir).lexically_normal().string(), "network bundle directory");
  root.add_count("images", static_cast<std::uint64_t>(net.images), "1", "images run");
  root.add_count("conv_dense_layers", weighted.size(), "1", "conv and dense nodes (every one runs under each design)");
  root.add_text("engine", nopt.engine, "functional (bit-exact core) or array (cycle-accurate model) for every image");
  {
    StatGroup& f = root.child("float_check",
                              "sparq-sim's float32 execution of the folded graph against the original "
                              "network's float outputs in the bundle (tfjs or PyTorch)");
    f.add("max_relative_logit_difference", worst_check, "1",
          "max over images of max|logit - original| / max|original logit|");
    f.add("top1_agreement", pct(float_agree), "%", "images whose top-1 equals the original network's");
    StatGroup& i8 = root.child("int8_network", "every conv/dense node exact int8 (32-bit accumulators)");
    i8.add("top1_vs_float", pct(int8_float_agree), "%", "top-1 agreement with the original float network");
    i8.add("mean_kl", s8.kl, "nat", "mean KL(float probabilities || int8 probabilities)");
    i8.add_optional("logit_sqnr", s8.logits.db(), std::isfinite(s8.logits.db()), "dB", "logits vs float, pooled");
  }
  std::ostringstream summary_csv, layers_csv, images_csv;
  summary_csv << "design,int8_layers [1],top1_vs_float [%],top1_vs_int8 [%],mean_kl [nat],logit_sqnr [dB],"
                 "prob_sqnr [dB],last_layer_sqnr [dB],cycles_per_image [cycle],macs_per_image [MAC],"
                 "pe_utilization [%],mult_slot_utilization [%],energy_per_image [uJ],images_per_s [1/s],"
                 "array_area_vs_int8 [1]\n";
  layers_csv << "design,index,layer,op,int8,sqnr_vs_float [dB]\n";
  images_csv << "design,image,path,top1,float_top1,int8_top1,agrees_float,agrees_int8,kl [nat],logit_sqnr [dB]\n";
  auto csvnum = [](double v, int p) { return std::isfinite(v) ? fmt(v, p) : std::string(); };
  for (std::size_t i = 0; i < static_cast<std::size_t>(net.images); ++i)
    images_csv << "float (sparq-sim)," << i << "," << csv_escape(net.image_paths[i]) << "," << float_top1[i] << ","
               << ref_top1[i] << "," << int8_top1[i] << "," << (float_top1[i] == ref_top1[i]) << ","
               << (float_top1[i] == int8_top1[i]) << ",,\n";
  auto design_rows = [&](const std::string& name, const std::vector<ImageOutcome>& v, const Summary& s,
                         const NetPlan* plan) {
    for (std::size_t i = 0; i < v.size(); ++i)
      images_csv << csv_escape(name) << "," << i << "," << csv_escape(net.image_paths[i]) << "," << v[i].top1 << ","
                 << ref_top1[i] << "," << int8_top1[i] << "," << (v[i].top1 == ref_top1[i]) << ","
                 << (v[i].top1 == int8_top1[i]) << "," << fmt(v[i].kl, 6) << "," << csvnum(v[i].logits.db(), 3) << "\n";
    for (std::size_t w = 0; w < weighted.size(); ++w) {
      const NetNode& n = net.nodes[static_cast<std::size_t>(weighted[w])];
      const bool i8 = !plan || (*plan).pe[static_cast<std::size_t>(weighted[w])] == PeArith::int8();
      layers_csv << csv_escape(name) << "," << w << "," << csv_escape(n.name) << "," << net_op_name(n.op) << "," << i8
                 << "," << csvnum(s.layers[w].db(), 3) << "\n";
    }
  };
  design_rows("int8 (exact network)", int8_images, s8, nullptr);
  StatGroup& dg = root.child("designs", "per PE design");
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const DesignRun& d = runs[k];
    const Summary& s = sums[k];
    const auto& a = d.stats;
    const double cyc = static_cast<double>(a.cycles);
    const double ips = cyc > 0 ? d.design.clock_mhz * 1e6 / cyc : 0;
    StatGroup& g = dg.child(d.design.name, "design " + d.design.name);
    g.add_count("int8_layers", static_cast<std::uint64_t>(d.int8_layers), "1",
                "conv/dense nodes run at int8 (first layer, signed inputs, overrides; all for int8)");
    StatGroup& acc = g.child("accuracy", "over the image set");
    acc.add("top1_vs_float", s.top1_float, "%", "top-1 agreement with the original float network");
    acc.add("top1_vs_int8", s.top1_int8, "%", "top-1 agreement with the exact-int8 network");
    acc.add("mean_kl", s.kl, "nat", "mean KL(float probabilities || design probabilities)");
    acc.add_optional("logit_sqnr", s.logits.db(), std::isfinite(s.logits.db()), "dB", "logits vs float, pooled");
    acc.add_optional("prob_sqnr", s.probs.db(), std::isfinite(s.probs.db()), "dB", "probabilities vs float, pooled");
    StatGroup& ls = g.child("layer_sqnr",
                            "SQNR of each conv/dense output (before its activation) against the float "
                            "graph's, pooled over images, input to output");
    for (std::size_t w = 0; w < weighted.size(); ++w) {
      const double v = s.layers[w].db();
      ls.add_optional(net.nodes[static_cast<std::size_t>(weighted[w])].name, v, std::isfinite(v), "dB", "");
    }
    StatGroup& hw = g.child("inference", "image " + std::to_string(cimg) + "'s whole inference on the " +
                                             std::to_string(d.design.array.rows) + "x" +
                                             std::to_string(d.design.array.cols) + " array model");
    hw.add_count("cycles", a.cycles, "cycle", "all conv/dense layers, one after the other");
    hw.add_count("macs", a.macs, "MAC", "useful MACs");
    hw.add("pe_utilization", 100 * a.pe_utilization(), "%", "PE-cycles on useful operands / R*C*cycles");
    hw.add("mult_slot_utilization", 100 * a.mult_slot_utilization(), "%", "busy multipliers / available");
    hw.add("energy", d.energy_pj * 1e-6, "uJ", "activity-based energy proxy, every layer at its own design");
    hw.add("images_per_s", ips, "1/s", "at the configured clock, no memory stalls");
    hw.add("array_area_vs_int8", d.cost.array_area_ratio, "1", "array area proxy relative to the int8 array");
    summary_csv << csv_escape(d.design.name) << "," << d.int8_layers << "," << fmt(s.top1_float, 2) << ","
                << fmt(s.top1_int8, 2) << "," << fmt(s.kl, 6) << "," << csvnum(s.logits.db(), 3) << ","
                << csvnum(s.probs.db(), 3) << "," << csvnum(s.layers.back().db(), 3) << "," << a.cycles << "," << a.macs
                << "," << fmt(100 * a.pe_utilization(), 2) << "," << fmt(100 * a.mult_slot_utilization(), 2) << ","
                << fmt(d.energy_pj * 1e-6, 3) << "," << fmt(ips, 2) << "," << fmt(d.cost.array_area_ratio, 4) << "\n";
    design_rows(d.design.name, d.images, s, &d.plan);
  }
  std::vector<std::string> lnames;
  for (int i : weighted) lnames.push_back(net.nodes[static_cast<std::size_t>(i)].name);
  std::vector<std::pair<std::string, std::vector<double>>> series;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    std::vector<double> v;
    for (const auto& l : sums[k].layers) v.push_back(l.db());
    series.emplace_back(runs[k].design.name, v);
  }
  std::ostringstream json;
  root.write_json(json);
  const std::string growth_svg = error_growth_svg(
      "error growth along " + net.name + " (" + std::to_string(net.images) + " images)", lnames, series);
  HtmlReport rep;
  rep.title = "sparq-sim infer: " + net.name;
  rep.subtitle = std::to_string(net.images) + " images, " + std::to_string(weighted.size()) +
                 " conv/dense layers, engine " + nopt.engine + ", " + std::to_string(runs.size()) + " design(s)";
  rep.provenance = {{"run id", run_id},
                    {"configuration", cfg.config_file},
                    {"network bundle", net.name + " (" + fs::absolute(net.dir).lexically_normal().string() + ")"},
                    {"model", net.model_name},
                    {"images", std::to_string(net.images) + " (images.csv lists their paths)"}};
  if (!net.model_source.empty()) rep.provenance.push_back({"model source", net.model_source});
  rep.tables.push_back({"Summary per design",
                        "4 significant digits (hover for the full value) from summary.csv; units in brackets",
                        parse_csv(summary_csv.str(), "summary.csv")});
  HtmlReport::Table lt{"Per layer: SQNR against the float graph",
                       "4 significant digits (hover for the full value) from layers.csv",
                       parse_csv(layers_csv.str(), "layers.csv")};
  lt.collapsed = true;
  rep.tables.push_back(std::move(lt));
  HtmlReport::Table it{"Per image", "4 significant digits (hover for the full value) from images.csv",
                       parse_csv(images_csv.str(), "images.csv")};
  it.collapsed = true;
  rep.tables.push_back(std::move(it));
  rep.plots = {{"error_growth.svg", growth_svg}};
  rep.config_yaml = cfg.effective_yaml;
  rep.files = {"summary.csv",           "layers.csv",   "images.csv", "error_growth.svg", "results.json",
               "effective_config.yaml", kResultManifest};
  write_result_set(cfg.output_dir, run_id,
                   {{"effective_config.yaml", "# run_id: " + run_id + "\n" + cfg.effective_yaml},
                    {"results.json", json.str() + "\n"},
                    {"summary.csv", summary_csv.str()},
                    {"layers.csv", layers_csv.str()},
                    {"images.csv", images_csv.str()},
                    {"error_growth.svg", growth_svg},
                    {"report.html", render_report(rep)}});

  if (!cfg.quiet) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    out << "\nnetwork " << net.name << " (" << net.model_name << ", " << weighted.size() << " conv/dense layers), "
        << net.images << " images, engine " << nopt.engine << ", " << fmt(secs, 1) << " s\n";
    out << "float check: sparq-sim's float32 graph vs the original network's outputs in the bundle: top-1 "
        << fmt(pct(float_agree), 1) << "% equal, max relative logit difference " << std::scientific
        << std::setprecision(2) << worst_check << std::defaultfloat << "\n";
    out << "exact int8 network: top-1 = float on " << fmt(pct(int8_float_agree), 1) << "% of images, mean KL "
        << fmt(s8.kl, 5) << ", logit SQNR " << fmt(s8.logits.db(), 1) << " dB\n";
    out << "top1 fl / i8: top-1 agreement with the float / exact-int8 network; KL: mean KL(float || design) of the\n"
           "probabilities; SQNR: logits vs float, pooled; cycles .. img/s: image "
        << cimg << " on the " << runs.front().design.array.rows << "x" << runs.front().design.array.cols
        << " array model; i8 lay: layers at int8\n";
    char line[400];
    std::snprintf(line, sizeof line, "  %-18s %6s %7s %7s %9s %7s %12s %12s %6s %9s %8s %7s\n", "design", "i8 lay",
                  "top1 fl", "top1 i8", "KL", "SQNR", "cycles", "MACs", "PE ut", "energy", "img/s", "area");
    out << line;
    std::snprintf(line, sizeof line, "  %-18s %6s %7s %7s %9s %7s %12s %12s %6s %9s %8s %7s\n", "", "[1]", "[%]", "[%]",
                  "[nat]", "[dB]", "[cycle]", "[MAC]", "[%]", "[uJ]", "[1/s]", "[x i8]");
    out << line;
    for (std::size_t k = 0; k < runs.size(); ++k) {
      const auto& d = runs[k];
      const auto& s = sums[k];
      const double ips = d.stats.cycles ? d.design.clock_mhz * 1e6 / static_cast<double>(d.stats.cycles) : 0;
      std::snprintf(line, sizeof line, "  %-18s %6d %7.1f %7.1f %9.5f %7s %12llu %12llu %6.1f %9.1f %8.1f %7.3f\n",
                    d.design.name.c_str(), d.int8_layers, s.top1_float, s.top1_int8, s.kl,
                    fmt(s.logits.db(), 1).c_str(), static_cast<unsigned long long>(d.stats.cycles),
                    static_cast<unsigned long long>(d.stats.macs), 100 * d.stats.pe_utilization(), d.energy_pj * 1e-6,
                    ips, d.cost.array_area_ratio);
      out << line;
    }
    out << "SQNR along the network [dB] (conv/dense outputs vs float; every layer: layers.csv, error_growth.svg):\n";
    const std::size_t L = weighted.size();
    std::vector<std::size_t> picks;
    for (int q = 0; q <= 5; ++q) picks.push_back(std::min(L - 1, (L - 1) * static_cast<std::size_t>(q) / 5));
    std::snprintf(line, sizeof line, "  %-18s", "layer");
    out << line;
    for (auto p : picks) {
      std::snprintf(line, sizeof line, " %14s", truncate_utf8(lnames[p], 14).c_str());
      out << line;
    }
    out << "\n";
    auto row = [&](const std::string& name, const Summary& s) {
      std::snprintf(line, sizeof line, "  %-18s", name.c_str());
      out << line;
      for (auto p : picks) {
        std::snprintf(line, sizeof line, " %14s", fmt(s.layers[p].db(), 1).c_str());
        out << line;
      }
      out << "\n";
    };
    row("int8 (exact)", s8);
    for (std::size_t k = 0; k < runs.size(); ++k) row(runs[k].design.name, sums[k]);
    out << "results: " << (fs::path(cfg.output_dir) / "results.json").string() << "\n";
  }
  return 0;
}

}  // namespace sparq
