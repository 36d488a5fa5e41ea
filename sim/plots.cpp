#include "plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "atomic_file.h"
#include "safe_io.h"
#include "stats.h"

namespace fs = std::filesystem;

namespace sparq {

std::vector<std::size_t> pareto_front(const std::vector<ParetoInput>& p) {
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < p.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < p.size() && !dominated; ++j) {
      if (i == j) continue;
      const bool no_worse = p[j].area <= p[i].area && p[j].error <= p[i].error && p[j].throughput >= p[i].throughput;
      const bool better = p[j].area < p[i].area || p[j].error < p[i].error || p[j].throughput > p[i].throughput;
      dominated = no_worse && better;
    }
    if (!dominated) front.push_back(i);
  }
  return front;
}

namespace {

// Text as XML character data: valid UTF-8 without control characters
// (safe_io.h clean_text), markup characters escaped.
std::string esc(const std::string& text) {
  const std::string s = clean_text(text);
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else if (c == '\'')
      o += "&apos;";
    else
      o += c;
  }
  return o;
}

std::string num(double v) {
  char b[32];
  if (v != 0 && (std::fabs(v) >= 1e5 || std::fabs(v) < 1e-2))
    std::snprintf(b, sizeof b, "%.2g", v);
  else
    std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

double cell(const CsvTable& t, const std::vector<std::string>& row, const std::string& col) {
  const int c = t.column_prefix(col);
  if (c < 0 || row[static_cast<std::size_t>(c)].empty() || row[static_cast<std::size_t>(c)] == "null") return NAN;
  try {
    return std::stod(row[static_cast<std::size_t>(c)]);
  } catch (...) {
    return NAN;
  }
}

std::string text(const CsvTable& t, const std::vector<std::string>& row, const std::string& col) {
  const int c = t.column(col);
  return c < 0 ? "" : row[static_cast<std::size_t>(c)];
}

// Label of a summary/layer row: the sweep point's label and/or the design.
std::string series(const CsvTable& t, const std::vector<std::string>& row) {
  const std::string label = text(t, row, "label"), design = text(t, row, "design");
  if (label.empty() || label == design) return design;
  return label + " / " + design;
}

// Paul Tol's muted and bright qualitative schemes (colour-blind safe), 12 colours.
const char* kPalette[] = {"#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77",
                          "#cc6677", "#882255", "#aa4499", "#4477aa", "#ee6677", "#bbbbbb"};
constexpr std::size_t kColors = sizeof(kPalette) / sizeof(kPalette[0]);

struct Frame {
  double x0 = 80, y0 = 50, w = 620, h = 380;  // plot area in px
  double xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  bool xlog = false;
  std::vector<double> xticks;  // explicit x tick values (else 6 evenly spaced)
  double X(double v) const {
    const double a = xlog ? std::log10(v) : v, lo = xlog ? std::log10(xmin) : xmin, hi = xlog ? std::log10(xmax) : xmax;
    return x0 + (a - lo) / (hi - lo) * w;
  }
  double Y(double v) const { return y0 + h - (v - ymin) / (ymax - ymin) * h; }
};

void axes(std::ostringstream& s, const Frame& f, const std::string& title, const std::string& xl,
          const std::string& yl) {
  s << "<text x='" << f.x0 + f.w / 2 << "' y='24' text-anchor='middle' font-size='16' font-weight='bold'>" << esc(title)
    << "</text>\n";
  s << "<rect x='" << f.x0 << "' y='" << f.y0 << "' width='" << f.w << "' height='" << f.h
    << "' fill='none' stroke='#333'/>\n";
  std::vector<double> xt = f.xticks;
  if (xt.empty())
    for (int i = 0; i <= 5; ++i)
      xt.push_back(f.xlog ? std::pow(10, std::log10(f.xmin) + (std::log10(f.xmax) - std::log10(f.xmin)) * i / 5)
                          : f.xmin + (f.xmax - f.xmin) * i / 5);
  for (const double xv : xt)
    s << "<line x1='" << f.X(xv) << "' y1='" << f.y0 + f.h << "' x2='" << f.X(xv) << "' y2='" << f.y0 + f.h + 5
      << "' stroke='#333'/><text x='" << f.X(xv) << "' y='" << f.y0 + f.h + 18
      << "' text-anchor='middle' font-size='11'>" << num(xv) << "</text>\n";
  for (int i = 0; i <= 5; ++i) {
    const double yv = f.ymin + (f.ymax - f.ymin) * i / 5;
    s << "<line x1='" << f.x0 - 5 << "' y1='" << f.Y(yv) << "' x2='" << f.x0 + f.w << "' y2='" << f.Y(yv)
      << "' stroke='#ddd'/><text x='" << f.x0 - 8 << "' y='" << f.Y(yv) + 4 << "' text-anchor='end' font-size='11'>"
      << num(yv) << "</text>\n";
  }
  s << "<text x='" << f.x0 + f.w / 2 << "' y='" << f.y0 + f.h + 40 << "' text-anchor='middle' font-size='13'>"
    << esc(xl) << "</text>\n";
  s << "<text transform='translate(20," << f.y0 + f.h / 2 << ") rotate(-90)' text-anchor='middle' font-size='13'>"
    << esc(yl) << "</text>\n";
}

std::string svg_open(int w, int h) {
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='" << h << "' viewBox='0 0 " << w << " " << h
    << "' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n";
  return s.str();
}

struct DesignPointXY {
  std::string name;
  double area, err, thr;
};

std::vector<DesignPointXY> design_points(const CsvTable& t) {
  std::vector<DesignPointXY> pts;
  for (const auto& r : t.rows) {
    DesignPointXY p{series(t, r), cell(t, r, "area.array"), cell(t, r, "error_vs_int8.relative_l2"),
                    cell(t, r, "throughput.gmacs_per_s")};
    if (std::isfinite(p.area) && std::isfinite(p.err) && std::isfinite(p.thr) && p.thr > 0) pts.push_back(p);
  }
  return pts;
}

// Scatter of (x, error) per design, marker area ~ throughput; `front` ringed,
// and joined by a staircase when `staircase` (a 2-D front in x and error).
std::string scatter_svg(const std::vector<DesignPointXY>& pts, const std::vector<double>& xs,
                        const std::vector<std::size_t>& front, bool staircase, const std::string& title,
                        const std::string& xlabel, const std::string& front_note) {
  Frame f;
  f.w = 560;
  double xmin = 1e300, xmax = 0, emax = 0, tmax = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    xmin = std::min(xmin, xs[i]), xmax = std::max(xmax, xs[i]);
    emax = std::max(emax, pts[i].err), tmax = std::max(tmax, pts[i].thr);
  }
  if (pts.empty()) xmin = 0, xmax = 1;
  const double pad = (xmax - xmin) * 0.1 + xmax * 0.02 + 1e-12;
  f.xmin = std::max(0.0, xmin - pad), f.xmax = xmax + pad, f.ymin = 0, f.ymax = emax > 0 ? emax * 1.15 : 1;
  std::ostringstream s;
  s << svg_open(960, 500);
  axes(s, f, title, xlabel, "relative L2 error vs exact int8 [1]");
  if (staircase && front.size() > 1) {
    std::vector<std::size_t> fr(front.begin(), front.end());
    std::sort(fr.begin(), fr.end(), [&](std::size_t a, std::size_t b) { return xs[a] < xs[b]; });
    s << "<polyline fill='none' stroke='#cc3311' stroke-width='1.5' stroke-dasharray='5,3' points='";
    for (std::size_t j = 0; j < fr.size(); ++j) {
      if (j) s << f.X(xs[fr[j]]) << "," << f.Y(pts[fr[j - 1]].err) << " ";
      s << f.X(xs[fr[j]]) << "," << f.Y(pts[fr[j]].err) << " ";
    }
    s << "'/>\n";
  }
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const bool on = std::find(front.begin(), front.end(), i) != front.end();
    const double r = 4 + 10 * std::sqrt(tmax > 0 ? pts[i].thr / tmax : 0);
    s << "<circle cx='" << f.X(xs[i]) << "' cy='" << f.Y(pts[i].err) << "' r='" << r << "' fill='"
      << kPalette[i % kColors] << "' fill-opacity='0.7' stroke='" << (on ? "#cc3311" : "#333") << "' stroke-width='"
      << (on ? 3 : 1) << "'><title>" << esc(pts[i].name) << ": area " << num(pts[i].area) << " um^2, rel L2 "
      << num(pts[i].err) << ", " << num(pts[i].thr) << " GMAC/s" << (on ? " (Pareto)" : "") << "</title></circle>\n";
    s << "<text x='" << f.X(xs[i]) + r + 2 << "' y='" << f.Y(pts[i].err) - 2 << "' font-size='10'>" << esc(pts[i].name)
      << "</text>\n";
  }
  double ly = f.y0;
  s << "<text x='" << f.x0 + f.w + 20 << "' y='" << ly
    << "' font-size='12' font-weight='bold'>design: throughput [GMAC/s]</text>\n";
  for (std::size_t i = 0; i < pts.size() && i < 24; ++i) {
    ly += 15;
    const bool on = std::find(front.begin(), front.end(), i) != front.end();
    s << "<circle cx='" << f.x0 + f.w + 26 << "' cy='" << ly - 4 << "' r='5' fill='" << kPalette[i % kColors]
      << "' fill-opacity='0.7' stroke='" << (on ? "#cc3311" : "none") << "' stroke-width='2'/><text x='"
      << f.x0 + f.w + 36 << "' y='" << ly << "' font-size='10'>" << esc(truncate_utf8(pts[i].name, 34)) << ": "
      << num(pts[i].thr) << "</text>\n";
  }
  s << "<text x='" << f.x0 + f.w + 20 << "' y='" << ly + 24
    << "' font-size='11' fill='#cc3311'>red ring: Pareto front</text>\n";
  s << "<text x='" << f.x0 + f.w + 20 << "' y='" << ly + 38 << "' font-size='10' fill='#555'>" << esc(front_note)
    << "</text>\n";
  s << "</svg>\n";
  return s.str();
}

// Area vs error vs throughput: the front over all three objectives.
std::string pareto_svg(const CsvTable& t) {
  const auto pts = design_points(t);
  std::vector<ParetoInput> in;
  std::vector<double> xs;
  for (const auto& p : pts) in.push_back({p.area, p.err, p.thr}), xs.push_back(p.area * 1e-6);
  return scatter_svg(pts, xs, pareto_front(in), false, "Designs: array area vs output error (marker area ~ throughput)",
                     "array area proxy [mm^2]", "(min area, min error, max throughput)");
}

// Area per unit of measured throughput vs error: a 2-D front (staircase).
std::string efficiency_svg(const CsvTable& t) {
  const auto pts = design_points(t);
  std::vector<ParetoInput> in;
  std::vector<double> xs;
  for (const auto& p : pts) {
    xs.push_back(p.area / p.thr);
    in.push_back({p.area / p.thr, p.err, 0});
  }
  return scatter_svg(pts, xs, pareto_front(in), true, "Designs: area per throughput vs output error",
                     "array area per measured throughput [um^2 per GMAC/s]", "(min area/throughput, min error)");
}

std::string bars_svg(const CsvTable& t, const std::string& col, const std::string& title, const std::string& ylabel) {
  std::vector<std::string> layer_names, series_names;
  std::map<std::pair<std::string, std::string>, double> v;
  double vmax = 0;
  for (const auto& r : t.rows) {
    const std::string L = text(t, r, "layer"), S = series(t, r);
    const double x = cell(t, r, col);
    if (!std::isfinite(x)) continue;
    if (std::find(layer_names.begin(), layer_names.end(), L) == layer_names.end()) layer_names.push_back(L);
    if (std::find(series_names.begin(), series_names.end(), S) == series_names.end()) series_names.push_back(S);
    v[{L, S}] = x;
    vmax = std::max(vmax, x);
  }
  Frame f;
  const double bars = static_cast<double>(layer_names.size() * std::max<std::size_t>(series_names.size(), 1));
  f.w = std::min(1400.0, std::max(600.0, 10.0 * bars));
  f.ymax = vmax > 0 ? vmax * 1.1 : 1;
  f.xmin = 0, f.xmax = 1;
  std::ostringstream s;
  const int width = static_cast<int>(f.x0 + f.w + 260);
  s << svg_open(width, 520);
  s << "<text x='" << f.x0 + f.w / 2 << "' y='24' text-anchor='middle' font-size='16' font-weight='bold'>" << esc(title)
    << "</text>\n<rect x='" << f.x0 << "' y='" << f.y0 << "' width='" << f.w << "' height='" << f.h
    << "' fill='none' stroke='#333'/>\n";
  for (int i = 0; i <= 5; ++i) {
    const double yv = f.ymax * i / 5;
    s << "<line x1='" << f.x0 - 5 << "' y1='" << f.Y(yv) << "' x2='" << f.x0 + f.w << "' y2='" << f.Y(yv)
      << "' stroke='#ddd'/><text x='" << f.x0 - 8 << "' y='" << f.Y(yv) + 4 << "' text-anchor='end' font-size='11'>"
      << num(yv) << "</text>\n";
  }
  s << "<text transform='translate(20," << f.y0 + f.h / 2 << ") rotate(-90)' text-anchor='middle' font-size='13'>"
    << esc(ylabel) << "</text>\n";
  const double gw = f.w / static_cast<double>(std::max<std::size_t>(layer_names.size(), 1));
  const double bw = gw * 0.8 / static_cast<double>(std::max<std::size_t>(series_names.size(), 1));
  for (std::size_t li = 0; li < layer_names.size(); ++li) {
    for (std::size_t si = 0; si < series_names.size(); ++si) {
      auto it = v.find({layer_names[li], series_names[si]});
      if (it == v.end()) continue;
      const double x = f.x0 + gw * static_cast<double>(li) + gw * 0.1 + bw * static_cast<double>(si);
      s << "<rect x='" << x << "' y='" << f.Y(it->second) << "' width='" << bw * 0.95 << "' height='"
        << f.y0 + f.h - f.Y(it->second) << "' fill='" << kPalette[si % kColors] << "'><title>" << esc(layer_names[li])
        << " / " << esc(series_names[si]) << ": " << num(it->second) << "</title></rect>\n";
    }
    s << "<text transform='translate(" << f.x0 + gw * (static_cast<double>(li) + 0.5) << "," << f.y0 + f.h + 14
      << ") rotate(30)' font-size='11'>" << esc(layer_names[li]) << "</text>\n";
  }
  double ly = f.y0;
  for (std::size_t si = 0; si < series_names.size() && si < 30; ++si) {
    ly += 15;
    s << "<rect x='" << f.x0 + f.w + 15 << "' y='" << ly - 9 << "' width='10' height='10' fill='"
      << kPalette[si % kColors] << "'/><text x='" << f.x0 + f.w + 30 << "' y='" << ly << "' font-size='11'>"
      << esc(truncate_utf8(series_names[si], 34)) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

// Throughput against DRAM bandwidth, one series per design (a sweep over
// memory.dram_bandwidth): the measured points joined, and each design's
// roofline min(peak, bandwidth x intensity) dashed, with peak = MACs per
// compute cycle (no stalls) and intensity = MACs per DRAM byte. The knee,
// peak / intensity, is the bandwidth below which the design is memory bound.
std::string roofline_svg(const CsvTable& t) {
  struct Pt {
    double bw, mpc;
  };
  std::vector<std::string> names;
  std::map<std::string, std::vector<Pt>> pts;
  std::map<std::string, std::pair<double, double>> roof;  // peak, intensity
  double bmin = 1e300, bmax = 0, ymax = 0;
  for (const auto& r : t.rows) {
    // One series per design point: the sweep label without its bandwidth.
    std::string d;
    std::istringstream words(text(t, r, "label"));
    for (std::string w; words >> w;)
      if (w.rfind("memory.dram_bandwidth=", 0) != 0) d += (d.empty() ? "" : " ") + w;
    const std::string design = text(t, r, "design");
    if (d.empty() || d == design)
      d = design;
    else if (d.find(design) == std::string::npos)
      d += " / " + design;
    const double bw = cell(t, r, "dram_bandwidth"), macs = cell(t, r, "throughput.macs");
    const double cycles = cell(t, r, "cycles.total"), stall = cell(t, r, "cycles.stall");
    const double dram = cell(t, r, "memory.dram_ifmap_read") + cell(t, r, "memory.dram_filter_read") +
                        cell(t, r, "memory.dram_ofmap_write");
    if (!(bw > 0) || !(cycles > stall) || !(dram > 0) || !std::isfinite(macs)) continue;
    if (!pts.count(d)) names.push_back(d);
    pts[d].push_back({bw, macs / cycles});
    roof[d] = {macs / (cycles - stall), macs / dram};
    bmin = std::min(bmin, bw), bmax = std::max(bmax, bw), ymax = std::max(ymax, macs / (cycles - stall));
  }
  Frame f;
  f.xlog = true;
  f.xmin = bmin / 1.5, f.xmax = bmax * 1.5, f.ymin = 0;
  // Round y ticks: five steps of 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 x 10^k.
  const double raw = std::max(ymax * 1.05, 1e-9) / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (const double m : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  f.ymax = 5 * step;
  for (double x = std::pow(2.0, std::floor(std::log2(bmin))); x <= bmax * 1.01; x *= 2)
    if (x >= f.xmin) f.xticks.push_back(x);
  std::ostringstream s;
  s << svg_open(1000, 500);
  axes(s, f, "Throughput against DRAM bandwidth (roofline per design)", "DRAM bandwidth [byte/cycle] (log scale)",
       "MACs per cycle (stalls included)");
  double ly = f.y0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto& v = pts[names[i]];
    std::sort(v.begin(), v.end(), [](const Pt& a, const Pt& b) { return a.bw < b.bw; });
    const char* col = kPalette[i % kColors];
    const auto [peak, inten] = roof[names[i]];
    // The roofline, sampled on the log axis.
    s << "<polyline fill='none' stroke='" << col << "' stroke-width='1.5' stroke-dasharray='6,4' points='";
    for (int k = 0; k <= 60; ++k) {
      const double b = f.xmin * std::pow(f.xmax / f.xmin, k / 60.0);
      s << f.X(b) << "," << f.Y(std::min(peak, b * inten)) << " ";
    }
    s << "'/>\n<polyline fill='none' stroke='" << col << "' stroke-width='2' points='";
    for (const Pt& p : v) s << f.X(p.bw) << "," << f.Y(p.mpc) << " ";
    s << "'/>\n";
    for (const Pt& p : v)
      s << "<circle cx='" << f.X(p.bw) << "' cy='" << f.Y(p.mpc) << "' r='4' fill='" << col << "'><title>"
        << esc(names[i]) << ": " << num(p.bw) << " B/cycle -> " << num(p.mpc) << " MAC/cycle</title></circle>\n";
    ly += 16;
    s << "<line x1='" << f.x0 + f.w + 15 << "' y1='" << ly - 4 << "' x2='" << f.x0 + f.w + 35 << "' y2='" << ly - 4
      << "' stroke='" << col << "' stroke-width='2'/><text x='" << f.x0 + f.w + 40 << "' y='" << ly
      << "' font-size='10'>" << esc(truncate_utf8(names[i], 28)) << ": knee " << num(peak / inten) << " B/cyc</text>\n";
  }
  s << "<text x='" << f.x0 + f.w + 15 << "' y='" << ly + 22
    << "' font-size='10' fill='#555'>solid: measured; dashed: min(peak, BW x MAC/byte)</text>\n</svg>\n";
  return s.str();
}

// Whether a summary varies the DRAM bandwidth (a roofline sweep).
bool varies_bandwidth(const CsvTable& t) {
  std::set<std::string> seen;
  const int c = t.column_prefix("dram_bandwidth");
  if (c < 0) return false;
  for (const auto& r : t.rows) seen.insert(r[static_cast<std::size_t>(c)]);
  return seen.size() > 1;
}

}  // namespace

std::vector<std::string> write_plots(const CsvTable& summary, const CsvTable& layers, const std::string& dir) {
  ensure_own_directory(dir);
  std::vector<std::string> files;
  auto put = [&](const std::string& name, const std::string& svg) {
    const std::string p = (fs::path(dir) / name).string();
    write_file_atomic(p, svg);
    files.push_back(p);
  };
  if (!summary.rows.empty()) {
    put("pareto.svg", pareto_svg(summary));
    put("pareto_efficiency.svg", efficiency_svg(summary));
    if (varies_bandwidth(summary)) put("roofline.svg", roofline_svg(summary));
  }
  if (!layers.rows.empty()) {
    put("layers_cycles.svg", bars_svg(layers, "cycles.total", "Cycles per layer by design", "cycles [cycle]"));
    put("layers_utilization.svg",
        bars_svg(layers, "throughput.pe_utilization", "PE utilization per layer by design", "PE utilization [%]"));
  }
  return files;
}

}  // namespace sparq
