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

namespace plot {

Ticks nice_ticks(double lo, double hi, int max_ticks) {
  Ticks t;
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    const double d = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo = lo >= 0 && lo - d < 0 ? 0 : lo - d;
    hi += d;
  }
  max_ticks = std::max(max_ticks, 1);
  const double raw = (hi - lo) / max_ticks;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (int guard = 0; guard < 8; ++guard, mag *= 10) {
    for (const double m : {1.0, 2.0, 5.0}) {
      const double step = m * mag;
      const double a = std::floor(lo / step + 1e-9) * step, b = std::ceil(hi / step - 1e-9) * step;
      const double n = std::round((b - a) / step);
      if (n > max_ticks) continue;
      t.lo = a, t.hi = b, t.step = step;
      for (int k = 0; k <= static_cast<int>(n); ++k) {
        double v = std::round(a / step + k) * step;
        if (std::fabs(v) < step * 1e-9) v = 0;
        t.values.push_back(v);
      }
      return t;
    }
  }
  t.lo = lo, t.hi = hi, t.step = hi - lo, t.values = {lo, hi};
  return t;
}

std::string tick_label(double v, double step) {
  const char* suffix = "";
  double scale = 1;
  const double big = std::max(std::fabs(step), std::fabs(v));
  if (big >= 1e9 && std::fabs(step) >= 1e8)
    suffix = "G", scale = 1e9;
  else if (big >= 1e6 && std::fabs(step) >= 1e5)
    suffix = "M", scale = 1e6;
  else if (big >= 1e4 && std::fabs(step) >= 1e3)
    suffix = "k", scale = 1e3;
  const double s = std::fabs(step) / scale;
  const int decimals = s > 0 ? std::max(0, static_cast<int>(std::ceil(-std::log10(s) - 1e-9))) : 0;
  char b[48];
  std::snprintf(b, sizeof b, "%.*f%s", std::min(decimals, 12), v / scale + 0.0, v == 0 ? "" : suffix);
  return b;
}

namespace {

// Byte offsets where each code point of valid UTF-8 s starts.
std::vector<std::size_t> code_points(const std::string& s) {
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) at.push_back(i);
  return at;
}

}  // namespace

std::string shorten(const std::string& name, std::size_t max_chars) {
  const std::string s = clean_text(name);
  const auto at = code_points(s);
  if (at.size() <= max_chars) return s;
  if (max_chars < 3) return truncate_utf8(s, max_chars);
  const std::size_t keep = max_chars - 1, head = keep / 2, tail = keep - head;
  return s.substr(0, at[head]) + "\u2026" + s.substr(at[at.size() - tail]);
}

namespace {

// Like shorten, but with the ellipsis moved left if needed so that the text
// from code point `from` on (where the name starts to differ from its
// nearest neighbour) stays visible: at least 4 characters of head.
std::string shorten_keeping(const std::string& name, std::size_t max_chars, std::size_t from) {
  const std::string s = clean_text(name);
  const auto at = code_points(s);
  if (at.size() <= max_chars || max_chars < 8 || from >= at.size()) return shorten(s, max_chars);
  const std::size_t keep = max_chars - 1, distinct = at.size() - from;
  if (keep - keep / 2 >= distinct) return shorten(s, max_chars);  // the middle cut keeps it already
  const std::size_t head = keep > distinct + 4 ? keep - distinct : 4, tail = keep - head;
  return s.substr(0, at[head]) + "\u2026" + s.substr(at[at.size() - tail]);
}

// Code points name i shares with every other name in `with` (those its
// shortened label clashed with), backed up to the start of its word (after a
// space), so a differing "rows=8" shows whole.
std::size_t shared_prefix(const std::vector<std::string>& clean, std::size_t i, const std::vector<std::size_t>& with) {
  std::size_t shared = clean[i].size();
  for (const std::size_t j : with) {
    std::size_t k = 0;
    while (k < clean[i].size() && k < clean[j].size() && clean[i][k] == clean[j][k]) ++k;
    shared = std::min(shared, k);
  }
  const std::size_t space = shared == 0 ? std::string::npos : clean[i].rfind(' ', shared - 1);
  const std::size_t byte = space == std::string::npos ? shared : space + 1;
  const auto at = code_points(clean[i]);  // the code point holding that byte
  const auto cp = std::upper_bound(at.begin(), at.end(), byte) - at.begin();
  return cp == 0 ? 0 : static_cast<std::size_t>(cp - 1);
}

}  // namespace

LegendLayout legend_layout(const std::vector<std::string>& names, std::size_t max_rows, std::size_t max_chars) {
  LegendLayout L;
  const std::size_t n = names.size();
  if (n == 0) return L;
  L.rows = std::min(n, std::max<std::size_t>(max_rows, 1));
  L.columns = (n + L.rows - 1) / L.rows;
  std::vector<std::string> clean;
  for (const auto& name : names) clean.push_back(clean_text(name));
  for (std::size_t i = 0; i < n; ++i) {
    L.labels.push_back(shorten(clean[i], max_chars));
    L.column.push_back(i / L.rows);
    L.row.push_back(i % L.rows);
  }
  // Distinct names whose middle-cut labels coincide keep the words where they
  // differ; if that is not enough, they get their entry number.
  std::vector<std::string> relabeled = L.labels;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::size_t> clashes;
    for (std::size_t j = 0; j < n; ++j)
      if (j != i && L.labels[j] == L.labels[i] && clean[j] != clean[i]) clashes.push_back(j);
    if (!clashes.empty()) relabeled[i] = shorten_keeping(clean[i], max_chars, shared_prefix(clean, i, clashes));
  }
  L.labels = relabeled;
  for (std::size_t i = 0; i < n; ++i) {
    bool clash = false;
    for (std::size_t j = 0; j < n; ++j) clash |= j != i && L.labels[j] == L.labels[i] && names[j] != names[i];
    if (!clash) continue;
    const std::string tag = "#" + std::to_string(i + 1);
    L.labels[i] = shorten(names[i], max_chars > tag.size() + 3 ? max_chars - tag.size() : 3) + tag;
  }
  return L;
}

std::vector<bool> keep_non_overlapping(const std::vector<Box>& boxes, double gap, std::size_t obstacles) {
  std::vector<bool> keep(boxes.size(), false);
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < boxes.size() && i < obstacles; ++i) keep[i] = true, kept.push_back(i);
  for (std::size_t i = obstacles; i < boxes.size(); ++i) {
    const Box& a = boxes[i];
    bool clear = true;
    for (const std::size_t j : kept) {
      const Box& b = boxes[j];
      if (a.x0 < b.x1 + gap && b.x0 < a.x1 + gap && a.y0 < b.y1 + gap && b.y0 < a.y1 + gap) {
        clear = false;
        break;
      }
    }
    if (clear) keep[i] = true, kept.push_back(i);
  }
  return keep;
}

// Paul Tol's muted and bright qualitative schemes (colour-blind safe), 12 colours.
const char* const kPalette[] = {"#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77",
                                "#cc6677", "#882255", "#aa4499", "#4477aa", "#ee6677", "#bbbbbb"};
constexpr std::size_t kColors = sizeof(kPalette) / sizeof(kPalette[0]);

Style series_style(std::size_t i) {
  return {kPalette[i % kColors], static_cast<int>((i + i / kColors) % 6)};
}

}  // namespace plot

namespace {

using plot::Box;
using plot::Ticks;

std::string num(double v) {
  char b[32];
  if (v != 0 && (std::fabs(v) >= 1e5 || std::fabs(v) < 1e-2))
    std::snprintf(b, sizeof b, "%.3g", v);
  else
    std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

// Approximate rendered width of n characters of sans-serif text at a size.
double text_width(std::size_t chars, double font_px) {
  return static_cast<double>(chars) * font_px * 0.58;
}

std::size_t code_points_count(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

double cell(const CsvTable& t, const std::vector<std::string>& row, const std::string& col) {
  const int c = t.column_prefix(col);
  if (c < 0 || static_cast<std::size_t>(c) >= row.size() || row[static_cast<std::size_t>(c)].empty() ||
      row[static_cast<std::size_t>(c)] == "null")
    return NAN;
  try {
    return std::stod(row[static_cast<std::size_t>(c)]);
  } catch (...) {
    return NAN;
  }
}

std::string text(const CsvTable& t, const std::vector<std::string>& row, const std::string& col) {
  const int c = t.column(col);
  return c < 0 || static_cast<std::size_t>(c) >= row.size() ? "" : row[static_cast<std::size_t>(c)];
}

// A sweep label's words with the key's first component dropped
// ("pe.shift_set=3opt" -> "shift_set=3opt"): shorter, still unambiguous.
std::string compact_label(const std::string& label) {
  std::istringstream words(label);
  std::string out;
  for (std::string w; words >> w;) {
    const auto eq = w.find('='), dot = w.find('.');
    if (eq != std::string::npos && dot != std::string::npos && dot < eq) w = w.substr(dot + 1);
    out += (out.empty() ? "" : " ") + w;
  }
  return out;
}

// Label of a summary/layer row: the sweep point's label and/or the design
// (the design left out when the label already names it).
std::string series(const CsvTable& t, const std::vector<std::string>& row) {
  const std::string label = compact_label(text(t, row, "label")), design = text(t, row, "design");
  if (label.empty() || label == design) return design;
  std::istringstream words(label);
  for (std::string w; words >> w;)
    if (w == design || w == "design=" + design || w == "name=" + design) return label;
  return label + " / " + design;
}

struct Frame {
  double x0 = 80, y0 = 56, w = 620, h = 380;  // plot area in px
  double xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  bool xlog = false;
  double X(double v) const {
    const double a = xlog ? std::log10(v) : v, lo = xlog ? std::log10(xmin) : xmin, hi = xlog ? std::log10(xmax) : xmax;
    return x0 + (a - lo) / (hi - lo) * w;
  }
  double Y(double v) const { return y0 + h - (v - ymin) / (ymax - ymin) * h; }
};

std::string svg_open(double w, double h) {
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << std::ceil(w) << "' height='" << std::ceil(h)
    << "' viewBox='0 0 " << std::ceil(w) << " " << std::ceil(h)
    << "' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n";
  return s.str();
}

void title_and_frame(std::ostringstream& s, const Frame& f, const std::string& title, const std::string& note) {
  s << "<text x='" << f.x0 << "' y='22' font-size='16' font-weight='bold'>" << xml_escape(title) << "</text>\n";
  if (!note.empty())
    s << "<text x='" << f.x0 << "' y='40' font-size='11' fill='#555'>" << xml_escape(note) << "</text>\n";
  s << "<rect x='" << f.x0 << "' y='" << f.y0 << "' width='" << f.w << "' height='" << f.h
    << "' fill='none' stroke='#333'/>\n";
}

// Horizontal grid lines and labels at the y ticks, and the y axis title.
void y_axis(std::ostringstream& s, const Frame& f, const Ticks& t, const std::string& label) {
  for (const double v : t.values)
    s << "<line x1='" << f.x0 - 5 << "' y1='" << f.Y(v) << "' x2='" << f.x0 + f.w << "' y2='" << f.Y(v)
      << "' stroke='#ddd'/><text x='" << f.x0 - 8 << "' y='" << f.Y(v) + 4 << "' text-anchor='end' font-size='11'>"
      << plot::tick_label(v, t.step) << "</text>\n";
  s << "<text transform='translate(18," << f.y0 + f.h / 2 << ") rotate(-90)' text-anchor='middle' font-size='13'>"
    << xml_escape(label) << "</text>\n";
}

// x tick marks and labels at the given values (labels that would overlap
// thinned out), and the x axis title.
void x_axis(std::ostringstream& s, const Frame& f, const std::vector<double>& values,
            const std::vector<std::string>& labels, const std::string& title) {
  std::vector<Box> boxes;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double w = text_width(labels[i].size(), 11);
    boxes.push_back({f.X(values[i]) - w / 2, 0, f.X(values[i]) + w / 2, 1});
  }
  const auto keep = plot::keep_non_overlapping(boxes, 6);
  for (std::size_t i = 0; i < values.size(); ++i) {
    s << "<line x1='" << f.X(values[i]) << "' y1='" << f.y0 + f.h << "' x2='" << f.X(values[i]) << "' y2='"
      << f.y0 + f.h + (keep[i] ? 5 : 3) << "' stroke='#333'/>";
    if (keep[i])
      s << "<text x='" << f.X(values[i]) << "' y='" << f.y0 + f.h + 18 << "' text-anchor='middle' font-size='11'>"
        << xml_escape(labels[i]) << "</text>";
    s << "\n";
  }
  s << "<text x='" << f.x0 + f.w / 2 << "' y='" << f.y0 + f.h + 40 << "' text-anchor='middle' font-size='13'>"
    << xml_escape(title) << "</text>\n";
}

// A marker shape centred at (x, y) with "radius" r; attrs are extra
// attributes (fill, stroke, ...); title (if any) becomes its tooltip.
std::string marker(int shape, double x, double y, double r, const std::string& attrs, const std::string& title = "") {
  std::ostringstream s;
  auto pts = [&](std::initializer_list<std::pair<double, double>> p) {
    s << "<polygon points='";
    for (const auto& [dx, dy] : p) s << x + dx * r << "," << y + dy * r << " ";
    s << "' " << attrs;
  };
  switch (shape) {
    case 1: pts({{-0.85, -0.85}, {0.85, -0.85}, {0.85, 0.85}, {-0.85, 0.85}}); break;
    case 2: pts({{0, -1.15}, {1, 0.75}, {-1, 0.75}}); break;
    case 3: pts({{0, -1.2}, {1.2, 0}, {0, 1.2}, {-1.2, 0}}); break;
    case 4: pts({{0, 1.15}, {1, -0.75}, {-1, -0.75}}); break;
    case 5:
      pts({{-0.35, -1},
           {0.35, -1},
           {0.35, -0.35},
           {1, -0.35},
           {1, 0.35},
           {0.35, 0.35},
           {0.35, 1},
           {-0.35, 1},
           {-0.35, 0.35},
           {-1, 0.35},
           {-1, -0.35},
           {-0.35, -0.35}});
      break;
    default: s << "<circle cx='" << x << "' cy='" << y << "' r='" << r << "' " << attrs;
  }
  if (title.empty())
    s << "/>";
  else
    s << "><title>" << xml_escape(title) << "</title></" << (shape == 0 ? "circle" : "polygon") << ">";
  return s.str();
}

// Legend labels up to this many characters: a sweep label with three axes
// and the design ("vsparq-5opt-edge rows=32 cols=32 dataflow=os") fits whole.
constexpr std::size_t kLegendChars = 48;

// Legend entries to the right of the plot area, in columns: swatch(i, x, y)
// draws entry i's key at (x, y) (the text baseline's left end minus 18 px).
// Returns the legend's width.
template <class Swatch>
double legend(std::ostringstream& s, const Frame& f, const std::string& heading, const std::vector<std::string>& names,
              const std::vector<std::string>& suffix, std::size_t max_chars, const Swatch& swatch) {
  const double row_h = 15, top = f.y0 + (heading.empty() ? 0 : 18);
  const std::size_t max_rows = static_cast<std::size_t>(std::max(1.0, (f.h + 40 - (top - f.y0)) / row_h));
  const plot::LegendLayout L = plot::legend_layout(names, max_rows, max_chars);
  std::size_t widest = 0;
  for (std::size_t i = 0; i < names.size(); ++i)
    widest = std::max(widest, code_points_count(L.labels[i]) + (i < suffix.size() ? suffix[i].size() : 0));
  const double col_w = 26 + text_width(widest, 10) + 14, x = f.x0 + f.w + 16;
  if (!heading.empty())
    s << "<text x='" << x << "' y='" << f.y0 + 4 << "' font-size='12' font-weight='bold'>" << xml_escape(heading)
      << "</text>\n";
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double ex = x + col_w * static_cast<double>(L.column[i]),
                 ey = top + row_h * static_cast<double>(L.row[i]) + 8;
    s << "<g>" << (L.labels[i] != names[i] ? "<title>" + xml_escape(names[i]) + "</title>" : "");
    swatch(i, ex, ey);
    s << "<text x='" << ex + 24 << "' y='" << ey << "' font-size='10'>" << xml_escape(L.labels[i])
      << (i < suffix.size() ? xml_escape(suffix[i]) : "") << "</text></g>\n";
  }
  return 16 + col_w * static_cast<double>(L.columns);
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
  double xmin = 1e300, xmax = -1e300, emax = 0, tmax = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    xmin = std::min(xmin, xs[i]), xmax = std::max(xmax, xs[i]);
    emax = std::max(emax, pts[i].err), tmax = std::max(tmax, pts[i].thr);
  }
  if (pts.empty()) xmin = 0, xmax = 1;
  // Room for the largest marker inside the frame: 4% of the range each side.
  const double pad = std::max((xmax - xmin) * 0.04, std::fabs(xmax) * 0.01 + 1e-12);
  const Ticks xt = plot::nice_ticks(xmin >= 0 ? std::max(0.0, xmin - pad) : xmin - pad, xmax + pad);
  const Ticks yt = plot::nice_ticks(0, emax > 0 ? emax * 1.06 : 1);
  f.xmin = xt.lo, f.xmax = xt.hi, f.ymin = yt.lo, f.ymax = yt.hi;
  std::ostringstream body;
  title_and_frame(body, f, title, "marker area ~ throughput; red outline: Pareto front " + front_note);
  y_axis(body, f, yt, "relative L2 error vs exact int8 [1]");
  std::vector<std::string> xl;
  for (const double v : xt.values) xl.push_back(plot::tick_label(v, xt.step));
  x_axis(body, f, xt.values, xl, xlabel);
  auto on_front = [&](std::size_t i) { return std::find(front.begin(), front.end(), i) != front.end(); };
  if (staircase && front.size() > 1) {
    std::vector<std::size_t> fr(front.begin(), front.end());
    std::sort(fr.begin(), fr.end(), [&](std::size_t a, std::size_t b) { return xs[a] < xs[b]; });
    body << "<polyline fill='none' stroke='#cc3311' stroke-width='1.5' stroke-dasharray='5,3' points='";
    for (std::size_t j = 0; j < fr.size(); ++j) {
      if (j) body << f.X(xs[fr[j]]) << "," << f.Y(pts[fr[j - 1]].err) << " ";
      body << f.X(xs[fr[j]]) << "," << f.Y(pts[fr[j]].err) << " ";
    }
    body << "'/>\n";
  }
  auto radius = [&](std::size_t i) { return 4 + 9 * std::sqrt(tmax > 0 ? pts[i].thr / tmax : 0); };
  // Larger markers first, so that small ones stay visible on top.
  std::vector<std::size_t> order(pts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return radius(a) > radius(b); });
  for (const std::size_t i : order) {
    const bool on = on_front(i);
    const plot::Style st = plot::series_style(i);
    body << marker(st.marker, f.X(xs[i]), f.Y(pts[i].err), radius(i),
                   std::string("fill='") + st.color + "' fill-opacity='0.75' stroke='" + (on ? "#cc3311" : "#333") +
                       "' stroke-width='" + (on ? "2.5" : "1") + "'",
                   pts[i].name + ": area " + num(pts[i].area) + " um^2, rel L2 " + num(pts[i].err) + ", " +
                       num(pts[i].thr) + " GMAC/s" + (on ? " (Pareto)" : ""))
         << "\n";
  }
  // Point labels where they fit: Pareto points first, then the rest; never
  // over another label, never outside the plot area.
  std::vector<std::size_t> lorder;
  for (std::size_t i = 0; i < pts.size(); ++i)
    if (on_front(i)) lorder.push_back(i);
  for (std::size_t i = 0; i < pts.size(); ++i)
    if (!on_front(i)) lorder.push_back(i);
  // Every marker is an obstacle (a label is placed beside its own marker).
  std::vector<Box> boxes;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const double r = radius(i), x = f.X(xs[i]), y = f.Y(pts[i].err);
    boxes.push_back({x - r, y - r, x + r, y + r});
  }
  std::vector<std::string> ltext;
  std::vector<bool> left;
  for (const std::size_t i : lorder) {
    const std::string lt = plot::shorten(pts[i].name, 30);
    const double w = text_width(code_points_count(lt), 10), r = radius(i), x = f.X(xs[i]), y = f.Y(pts[i].err);
    const bool l = x + r + 2 + w > f.x0 + f.w;
    boxes.push_back(l ? Box{x - r - 2 - w, y - 10, x - r - 2, y} : Box{x + r + 2, y - 10, x + r + 2 + w, y});
    ltext.push_back(lt);
    left.push_back(l);
  }
  const auto keep = plot::keep_non_overlapping(boxes, 1, pts.size());
  for (std::size_t k = 0; k < lorder.size(); ++k) {
    const Box& b = boxes[pts.size() + k];
    if (!keep[pts.size() + k] || b.x0 < f.x0 || b.y0 < f.y0) continue;
    body << "<text x='" << (left[k] ? b.x1 : b.x0) << "' y='" << b.y1 - 2 << "' font-size='10'"
         << (left[k] ? " text-anchor='end'" : "") << ">" << xml_escape(ltext[k]) << "</text>\n";
  }
  std::vector<std::string> names, suffix;
  for (const auto& p : pts) names.push_back(p.name), suffix.push_back(": " + num(p.thr));
  const double lw = legend(
      body, f, "design: throughput [GMAC/s]", names, suffix, kLegendChars, [&](std::size_t i, double x, double y) {
        const plot::Style st = plot::series_style(i);
        body << marker(st.marker, x + 8, y - 4, 5,
                       std::string("fill='") + st.color + "' fill-opacity='0.75' stroke='" +
                           (on_front(i) ? "#cc3311' stroke-width='2'" : "#333' stroke-width='0.5'"));
      });
  return svg_open(std::max(960.0, f.x0 + f.w + lw), f.y0 + f.h + 60) + body.str() + "</svg>\n";
}

// Area vs error vs throughput: the front over all three objectives.
std::string pareto_svg(const CsvTable& t) {
  const auto pts = design_points(t);
  std::vector<ParetoInput> in;
  std::vector<double> xs;
  for (const auto& p : pts) in.push_back({p.area, p.err, p.thr}), xs.push_back(p.area * 1e-6);
  return scatter_svg(pts, xs, pareto_front(in), false, "Designs: array area vs output error", "array area proxy [mm^2]",
                     "(min area, min error, max throughput)");
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

// One value per layer and series (design, or sweep point x design): grouped
// bars while every series gets a visible bar of its own colour, else one
// marker per series (colour x shape) in each layer's slot.
std::string layers_svg(const CsvTable& t, const std::string& col, const std::string& title, const std::string& ylabel,
                       const std::string& note) {
  std::vector<std::string> layer_names, series_names, all_series;
  std::map<std::pair<std::string, std::string>, double> v;
  double vmin = 0, vmax = 0;
  for (const auto& r : t.rows) {
    const std::string L = text(t, r, "layer"), S = series(t, r);
    if (std::find(all_series.begin(), all_series.end(), S) == all_series.end()) all_series.push_back(S);
    const double x = cell(t, r, col);
    if (!std::isfinite(x)) continue;
    if (std::find(layer_names.begin(), layer_names.end(), L) == layer_names.end()) layer_names.push_back(L);
    if (std::find(series_names.begin(), series_names.end(), S) == series_names.end()) series_names.push_back(S);
    v[{L, S}] = x;
    vmin = std::min(vmin, x), vmax = std::max(vmax, x);
  }
  // A series keeps its style in every per-layer plot, also where others have
  // no value (int8 has no SQNR against itself).
  std::vector<std::size_t> style_of;
  for (const auto& S : series_names)
    style_of.push_back(
        static_cast<std::size_t>(std::find(all_series.begin(), all_series.end(), S) - all_series.begin()));
  const std::size_t nl = std::max<std::size_t>(layer_names.size(), 1),
                    ns = std::max<std::size_t>(series_names.size(), 1);
  Frame f;
  f.w = std::clamp(static_cast<double>(nl) * std::max(8.0 * static_cast<double>(ns), 18.0), 600.0, 1400.0);
  const double gw = f.w / static_cast<double>(nl);
  const bool bars = ns <= 12 && gw * 0.8 / static_cast<double>(ns) >= 3;
  const Ticks yt = plot::nice_ticks(vmin, vmax > vmin ? vmax * 1.02 : vmin + 1);
  f.ymin = yt.lo, f.ymax = yt.hi;
  std::ostringstream body;
  title_and_frame(body, f, title, note);
  y_axis(body, f, yt, ylabel);
  const double bw = gw * 0.8 / static_cast<double>(ns), base = f.Y(std::max(0.0, yt.lo));
  for (std::size_t li = 0; li < layer_names.size(); ++li) {
    for (std::size_t si = 0; si < series_names.size(); ++si) {
      auto it = v.find({layer_names[li], series_names[si]});
      if (it == v.end()) continue;
      const plot::Style st = plot::series_style(style_of[si]);
      const double x = f.x0 + gw * static_cast<double>(li) + gw * 0.1 + bw * static_cast<double>(si),
                   y = f.Y(it->second);
      const std::string tip = layer_names[li] + " / " + series_names[si] + ": " + num(it->second);
      if (bars)
        body << "<rect x='" << x << "' y='" << std::min(y, base) << "' width='" << bw * 0.92 << "' height='"
             << std::fabs(base - y) << "' fill='" << st.color << "'><title>" << xml_escape(tip) << "</title></rect>\n";
      else
        body << marker(st.marker, x + bw / 2, y, 3.5,
                       std::string("fill='") + st.color + "' stroke='#333' stroke-width='0.4'", tip)
             << "\n";
    }
  }
  // Layer names under the axis, rotated; where they would collide, thinned
  // (every layer keeps a tick; the tooltip of each bar names its layer).
  std::vector<Box> boxes;
  for (std::size_t li = 0; li < layer_names.size(); ++li) {
    const double cx = f.x0 + gw * (static_cast<double>(li) + 0.5);
    boxes.push_back({cx - 6, 0, cx + 6, 1});
  }
  const auto keep = plot::keep_non_overlapping(boxes, 3);
  for (std::size_t li = 0; li < layer_names.size(); ++li) {
    const double cx = f.x0 + gw * (static_cast<double>(li) + 0.5);
    body << "<line x1='" << cx << "' y1='" << f.y0 + f.h << "' x2='" << cx << "' y2='" << f.y0 + f.h + 4
         << "' stroke='#333'/>";
    if (keep[li])
      body << "<text transform='translate(" << cx + 3 << "," << f.y0 + f.h + 10
           << ") rotate(-45)' text-anchor='end' font-size='10'><title>" << xml_escape(layer_names[li]) << "</title>"
           << xml_escape(plot::shorten(layer_names[li], 18)) << "</text>";
    body << "\n";
  }
  const double label_room = text_width(18, 10) * 0.72 + 24;
  std::vector<std::string> names = series_names;
  const double lw = legend(body, f, "", names, {}, kLegendChars, [&](std::size_t i, double x, double y) {
    const plot::Style st = plot::series_style(style_of[i]);
    if (bars)
      body << "<rect x='" << x << "' y='" << y - 9 << "' width='16' height='10' fill='" << st.color << "'/>";
    else
      body << marker(st.marker, x + 8, y - 4, 4.5,
                     std::string("fill='") + st.color + "' stroke='#333' stroke-width='0.4'");
  });
  return svg_open(f.x0 + f.w + lw, std::max(f.y0 + f.h + label_room, f.y0 + f.h + 40.0) + 10) + body.str() + "</svg>\n";
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
    std::istringstream words(compact_label(text(t, r, "label")));
    for (std::string w; words >> w;)
      if (w.rfind("dram_bandwidth=", 0) != 0) d += (d.empty() ? "" : " ") + w;
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
  if (names.empty()) bmin = 1, bmax = 2;
  Frame f;
  f.xlog = true;
  f.xmin = bmin / 1.5, f.xmax = bmax * 1.5;
  const Ticks yt = plot::nice_ticks(0, std::max(ymax * 1.03, 1e-9));
  f.ymin = yt.lo, f.ymax = yt.hi;
  std::vector<double> xt;
  std::vector<std::string> xl;
  for (double x = std::pow(2.0, std::floor(std::log2(bmin))); x <= bmax * 1.01; x *= 2)
    if (x >= f.xmin) {
      xt.push_back(x);
      char b[32];
      std::snprintf(b, sizeof b, "%g", x);
      xl.push_back(b);
    }
  std::ostringstream body;
  title_and_frame(body, f, "Throughput against DRAM bandwidth (roofline per design)",
                  "solid: measured; dashed: min(peak, bandwidth x MAC/byte); knee = peak / intensity");
  y_axis(body, f, yt, "MACs per cycle (stalls included)");
  x_axis(body, f, xt, xl, "DRAM bandwidth [byte/cycle] (log scale)");
  std::vector<std::string> suffix;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto& v = pts[names[i]];
    std::sort(v.begin(), v.end(), [](const Pt& a, const Pt& b) { return a.bw < b.bw; });
    const plot::Style st = plot::series_style(i);
    const auto [peak, inten] = roof[names[i]];
    // The roofline, sampled on the log axis.
    body << "<polyline fill='none' stroke='" << st.color << "' stroke-width='1.5' stroke-dasharray='6,4' points='";
    for (int k = 0; k <= 60; ++k) {
      const double b = f.xmin * std::pow(f.xmax / f.xmin, k / 60.0);
      body << f.X(b) << "," << f.Y(std::min(peak, b * inten)) << " ";
    }
    body << "'/>\n<polyline fill='none' stroke='" << st.color << "' stroke-width='2' points='";
    for (const Pt& p : v) body << f.X(p.bw) << "," << f.Y(p.mpc) << " ";
    body << "'/>\n";
    for (const Pt& p : v)
      body << marker(st.marker, f.X(p.bw), f.Y(p.mpc), 4, std::string("fill='") + st.color + "'",
                     names[i] + ": " + num(p.bw) + " B/cycle -> " + num(p.mpc) + " MAC/cycle")
           << "\n";
    suffix.push_back(": knee " + num(peak / inten) + " B/cyc");
  }
  const double lw = legend(body, f, "", names, suffix, kLegendChars - 8, [&](std::size_t i, double x, double y) {
    const plot::Style st = plot::series_style(i);
    body << "<line x1='" << x << "' y1='" << y - 4 << "' x2='" << x + 18 << "' y2='" << y - 4 << "' stroke='"
         << st.color << "' stroke-width='2'/>"
         << marker(st.marker, x + 9, y - 4, 3.5, std::string("fill='") + st.color + "'");
  });
  return svg_open(std::max(1000.0, f.x0 + f.w + lw), f.y0 + f.h + 60) + body.str() + "</svg>\n";
}

// Whether a summary varies the DRAM bandwidth (a roofline sweep).
bool varies_bandwidth(const CsvTable& t) {
  std::set<std::string> seen;
  const int c = t.column_prefix("dram_bandwidth");
  if (c < 0) return false;
  for (const auto& r : t.rows)
    if (static_cast<std::size_t>(c) < r.size()) seen.insert(r[static_cast<std::size_t>(c)]);
  return seen.size() > 1;
}

}  // namespace

std::string error_growth_svg(const std::string& title, const std::vector<std::string>& layer_names,
                             const std::vector<std::pair<std::string, std::vector<double>>>& series) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& sr : series)
    for (const double v : sr.second)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  const std::size_t n = std::max<std::size_t>(layer_names.size(), 2);
  Frame f;
  f.w = 640;
  const Ticks xt = plot::nice_ticks(0, static_cast<double>(n - 1), 10);
  const Ticks yt = plot::nice_ticks(lo, hi);
  f.xmin = 0, f.xmax = static_cast<double>(n - 1), f.ymin = yt.lo, f.ymax = yt.hi;
  std::ostringstream body;
  title_and_frame(body, f, title, "SQNR of each conv/dense output against the float graph's, pooled over the images");
  y_axis(body, f, yt, "SQNR vs float [dB]");
  std::vector<double> xv;
  std::vector<std::string> xl;
  for (const double v : xt.values)
    if (v <= f.xmax && v == std::floor(v)) xv.push_back(v), xl.push_back(plot::tick_label(v, std::max(1.0, xt.step)));
  x_axis(body, f, xv, xl, "conv / dense layer, input to output (index)");
  // Beyond the palette, each further dozen of series gets its own dash pattern.
  const char* dashes[] = {"", "6,3", "2,2", "8,3,2,3", "1,3", "10,4"};
  auto dash = [&](std::size_t k) { return std::string(dashes[(k / 12) % 6]); };
  for (std::size_t k = 0; k < series.size(); ++k) {
    const plot::Style st = plot::series_style(k);
    body << "<polyline fill='none' stroke='" << st.color << "' stroke-width='1.5'"
         << (dash(k).empty() ? "" : " stroke-dasharray='" + dash(k) + "'") << " points='";
    for (std::size_t i = 0; i < series[k].second.size(); ++i)
      if (std::isfinite(series[k].second[i]))
        body << f.X(static_cast<double>(i)) << "," << f.Y(series[k].second[i]) << " ";
    body << "'><title>" << xml_escape(series[k].first) << "</title></polyline>\n";
    for (std::size_t i = 0; i < series[k].second.size() && i < layer_names.size(); ++i)
      if (std::isfinite(series[k].second[i]))
        body << "<circle cx='" << f.X(static_cast<double>(i)) << "' cy='" << f.Y(series[k].second[i])
             << "' r='2' fill='" << st.color << "'><title>" << xml_escape(series[k].first) << ", " << i << " "
             << xml_escape(layer_names[i]) << ": " << num(series[k].second[i]) << " dB</title></circle>\n";
  }
  std::vector<std::string> names;
  for (const auto& sr : series) names.push_back(sr.first);
  const double lw = legend(body, f, "", names, {}, kLegendChars, [&](std::size_t k, double x, double y) {
    const plot::Style st = plot::series_style(k);
    body << "<line x1='" << x << "' y1='" << y - 4 << "' x2='" << x + 18 << "' y2='" << y - 4 << "' stroke='"
         << st.color << "' stroke-width='2'" << (dash(k).empty() ? "" : " stroke-dasharray='" + dash(k) + "'") << "/>";
  });
  return svg_open(std::max(900.0, f.x0 + f.w + lw), f.y0 + f.h + 60) + body.str() + "</svg>\n";
}

std::vector<std::pair<std::string, std::string>> make_plots(const CsvTable& summary, const CsvTable& layers) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!summary.rows.empty()) {
    out.emplace_back("pareto.svg", pareto_svg(summary));
    out.emplace_back("pareto_efficiency.svg", efficiency_svg(summary));
    if (varies_bandwidth(summary)) out.emplace_back("roofline.svg", roofline_svg(summary));
  }
  auto has_values = [&](const std::string& col) {
    for (const auto& r : layers.rows)
      if (std::isfinite(cell(layers, r, col))) return true;
    return false;
  };
  auto per_layer = [&](const char* file, const char* col, const char* title, const char* ylabel, const char* note) {
    if (has_values(col)) out.emplace_back(file, layers_svg(layers, col, title, ylabel, note));
  };
  per_layer("layers_cycles.svg", "cycles.total", "Cycles per layer by design", "cycles [cycle]", "");
  per_layer("layers_utilization.svg", "throughput.pe_utilization", "PE utilization per layer by design",
            "PE utilization [%]", "PE-cycles on useful operands / (rows x cols x cycles)");
  per_layer("layers_mult_utilization.svg", "throughput.mult_slot_utilization",
            "Multiplier-slot utilization per layer by design", "multiplier-slot utilization [%]",
            "busy multipliers / multipliers available (a pair PE has two per PE)");
  per_layer("layers_sqnr.svg", "error_vs_int8.sqnr", "Error per layer by design: SQNR against exact int8",
            "SQNR vs exact int8 [dB]", "higher is better; no mark: identical to int8 (exact)");
  per_layer("layers_energy.svg", "energy.per_mac", "Energy per MAC per layer by design (proxy)",
            "energy per MAC [pJ/MAC]", "activity-based energy proxy / useful MACs");
  return out;
}

}  // namespace sparq
