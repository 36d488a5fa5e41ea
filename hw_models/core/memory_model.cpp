#include "memory_model.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <stdexcept>

#include "fold_schedule.h"
#include "pe_design.h"

// Derivations and the model's rules: docs/memory.md.
namespace sparq {

void MemoryConfig::validate() const {
  const auto pad = [](const ScratchpadConfig& s, const std::string& name) {
    if (s.word_bytes < 0 || s.word_bytes > (1 << 20)) throw SettingError(name + "_word_bytes", "must be in 0..1048576");
    if (s.read_ports < 1 || s.read_ports > 64) throw SettingError(name + "_ports", "must be in 1..64");
    if (s.write_ports < 1 || s.write_ports > 64) throw SettingError(name + "_ports", "must be in 1..64");
  };
  pad(ifmap, "ifmap");
  pad(filter, "filter");
  pad(ofmap, "ofmap");
  if (!(dram.bytes_per_cycle >= 0) || !(dram.bytes_per_cycle <= 1e6))
    throw SettingError("dram_bandwidth", "must be a number in 0..1000000 (0 = unlimited)");
  if (const double m = dram.bytes_per_cycle * 1000;
      std::fabs(m - std::round(m)) > 1e-6 * std::max(1.0, m) || (dram.bytes_per_cycle > 0 && std::round(m) < 1))
    throw SettingError("dram_bandwidth", "must be a multiple of 0.001 bytes per cycle");
  if (dram.latency > 1000000) throw SettingError("dram_latency", "must be in 0..1000000 cycles");
  if (dram.max_outstanding < 0 || dram.max_outstanding > 1000000)
    throw SettingError("dram_max_outstanding", "must be in 0..1000000 (0 = unlimited)");
  if (dram.burst_bytes < 1 || dram.burst_bytes > (1 << 20))
    throw SettingError("dram_burst_bytes", "must be in 1..1048576");
  if (chunk_steps < 1 || chunk_steps > (1 << 20)) throw SettingError("chunk_steps", "must be in 1..1048576");
  if (prefetch_folds < 0 || prefetch_folds > 1000000)
    throw SettingError("prefetch_folds", "must be in 0..1000000 (0 = as far as the scratchpads have room)");
  if (output_bytes < 1 || output_bytes > 8) throw SettingError("output_bytes", "must be in 1..8");
}

std::uint64_t MemoryStats::dram_bytes() const {
  std::uint64_t s = 0;
  for (int b = 0; b < 3; ++b) s += dram_read[b] + dram_write[b];
  return s;
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

std::uint64_t cap_of(const ScratchpadConfig& s) {
  return s.bytes == 0 ? kUnlimited : s.bytes;
}

// --- Events on the array's own time line (no stalls). At one array time
// they apply in kind order: a port stall delays the cycle; a fold's start
// lets the prefetcher fetch the next fold's chunks; a need must be met before
// the cycle runs; a reserve must find room before the outputs are written;
// ready and retire take effect from the next cycle.
enum Kind : int { kPortStall = 0, kFoldStart = 1, kNeed = 2, kReserve = 3, kReady = 4, kRetire = 5 };
struct Event {
  std::uint64_t t;
  int kind, buf;
  std::uint64_t a;  // port stall: cycles; fold start: fold; need: read chunk; reserve, ready, retire: bytes
  std::uint64_t seq;
  bool operator<(const Event& o) const {
    if (t != o.t) return t < o.t;
    if (kind != o.kind) return kind < o.kind;
    return seq < o.seq;
  }
};

constexpr std::uint64_t kNoRequest = std::numeric_limits<std::uint64_t>::max();
struct ReadChunk {
  int buf;
  std::uint64_t fold;  // fetched no earlier than the start of the fold before it
  std::uint64_t need, bytes;
  std::uint64_t last_burst = kNoRequest;  // the DRAM request that completes it, once submitted
};

// A scratchpad's space: bytes in use and the retirements (real time, bytes)
// known but not yet folded into `used`. Chunks allocate in order, each at a
// real time no earlier than the previous allocation.
struct Space {
  std::uint64_t cap = kUnlimited, used = 0, peak = 0;
  std::deque<std::pair<double, std::uint64_t>> freed;
  // The earliest real time >= p at which `need` more bytes fit (kInf if no
  // known retirement makes room).
  double fit_time(double p, std::uint64_t need) {
    while (!freed.empty() && freed.front().first <= p) {
      used -= freed.front().second;
      freed.pop_front();
    }
    double t = p;
    while (cap != kUnlimited && used + need > cap) {
      if (freed.empty()) return kInf;
      used -= freed.front().second;
      t = freed.front().first;
      freed.pop_front();
    }
    return t;
  }
  void allocate(std::uint64_t n) {
    used += n;
    peak = std::max(peak, used);
  }
};

class Engine {
 public:
  Engine(const MemoryConfig& cfg, MemoryStats& st, DramBackend& dram)
      : st_(st),
        dram_(dram),
        burst_(static_cast<std::uint64_t>(cfg.dram.burst_bytes)),
        prefetch_(static_cast<std::uint64_t>(cfg.prefetch_folds)) {
    space_[kIfmap].cap = cap_of(cfg.ifmap);
    space_[kFilter].cap = cap_of(cfg.filter);
    space_[kOfmap].cap = cap_of(cfg.ofmap);
  }

  std::vector<ReadChunk> reads;  // in prefetch (need) order
  std::vector<Event> events;

  void run(std::uint64_t compute_cycles) {
    // Prefetch order: the order in which the array first needs the chunks.
    std::vector<std::size_t> order(reads.size()), pos(reads.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return reads[a].need < reads[b].need; });
    std::vector<ReadChunk> sorted;
    sorted.reserve(reads.size());
    for (std::size_t i = 0; i < order.size(); ++i) sorted.push_back(reads[order[i]]), pos[order[i]] = i;
    reads.swap(sorted);
    for (Event& e : events)
      if (e.kind == kNeed) e.a = pos[e.a];
    std::sort(events.begin(), events.end());
    for (const Event& e : events) {
      const double now = static_cast<double>(e.t + stall_);
      advance(now);
      switch (e.kind) {
        case kPortStall:
          stall_ += e.a;
          st_.stall[e.buf] += e.a;
          st_.port_stall[e.buf] += e.a;
          break;
        case kFoldStart:
          if (started_.size() <= e.a) started_.resize(e.a + 1, kInf);
          started_[e.a] = now;
          break;
        case kNeed: need(e, now); break;
        case kReserve: reserve(e, now); break;
        case kReady: {
          std::uint64_t left = e.a;
          while (left > 0) {
            const std::uint64_t n = std::min(left, burst_);
            writes_.push_back({now + 1, n});
            left -= n;
          }
          st_.sram_write[kOfmap] += e.a;
          break;
        }
        case kRetire: space_[e.buf].freed.emplace_back(now + 1, e.a); break;
      }
    }
    // The layer ends when its last output is in DRAM.
    while (serve_next()) {
    }
    double last = 0;
    if (!pending_writes_.empty())
      last = dram_.done(pending_writes_.back().first);
    else if (!resolved_.empty())
      last = dram_.done(resolved_.back().first);
    const double end = static_cast<double>(compute_cycles + stall_);
    if (last > end) {
      const auto extra = static_cast<std::uint64_t>(std::ceil(last - end));
      stall_ += extra;
      st_.stall[kOfmap] += extra;
    }
    for (int b = 0; b < 3; ++b) st_.peak[b] = std::max(st_.peak[b], space_[b].peak);
    st_.dram_bus_cycles = static_cast<std::uint64_t>(std::ceil(dram_.busy_cycles()));
  }

 private:
  struct Write {
    double ready;
    std::uint64_t bytes;
  };

  // Ready time of the next read burst (kInf: none, or blocked for space).
  double read_ready() {
    if (rhead_ >= reads.size()) return kInf;
    ReadChunk& c = reads[rhead_];
    if (!allocated_) {  // the chunk reserves its space as soon as it fits
      // Double buffering: fold k's chunks are fetched once fold k - P has
      // started (P = prefetch_folds; 0: no limit but the room).
      const std::uint64_t P = prefetch_;
      const double open = P == 0 || c.fold < P ? 0.0 : (c.fold - P < started_.size() ? started_[c.fold - P] : kInf);
      if (open == kInf) return kInf;
      const double t = space_[c.buf].fit_time(std::max(prev_ready_, open), c.bytes);
      if (t == kInf) return kInf;
      space_[c.buf].allocate(c.bytes);
      allocated_ = true;
      chunk_ready_ = t;
    }
    return std::max(chunk_ready_, prev_ready_);
  }
  // Submits the earliest-ready request (reads win ties); false if none can be.
  bool serve_next(double until = kInf) {
    const double rr = read_ready();
    const double wr = writes_.empty() ? kInf : writes_.front().ready;
    const double ready = std::min(rr, wr);
    if (ready == kInf || ready > until) return false;
    ++st_.dram_requests;
    if (rr <= wr) {
      ReadChunk& c = reads[rhead_];
      const std::uint64_t n = std::min(burst_, c.bytes - rburst_);
      const std::uint64_t id = dram_.submit(ready, addr_[c.buf], static_cast<std::uint32_t>(n), false);
      addr_[c.buf] += n;
      prev_ready_ = ready;
      st_.dram_read[c.buf] += n;
      st_.sram_write[c.buf] += n;
      rburst_ += n;
      if (rburst_ == c.bytes) {
        c.last_burst = id;
        ++rhead_;
        rburst_ = 0;
        allocated_ = false;
      }
    } else {
      const std::uint64_t n = writes_.front().bytes;
      writes_.pop_front();
      pending_writes_.emplace_back(dram_.submit(ready, addr_[kOfmap], static_cast<std::uint32_t>(n), true), n);
      addr_[kOfmap] += n;
      st_.dram_write[kOfmap] += n;
      st_.sram_read[kOfmap] += n;
    }
    return true;
  }
  void advance(double until) {
    while (serve_next(until)) {
    }
  }
  // Learns when the oldest unresolved write's data left the ofmap
  // scratchpad, if it did by `until` (asked of the DRAM model only now).
  bool resolve_write(double until) {
    if (pending_writes_.empty()) return false;
    const auto [id, n] = pending_writes_.front();
    const double t = dram_.transferred(id, until);
    if (t == kInf) return false;
    space_[kOfmap].freed.emplace_back(t, n);
    resolved_.push_back(pending_writes_.front());
    pending_writes_.pop_front();
    return true;
  }

  [[noreturn]] void too_small(int buf, std::uint64_t bytes) const {
    const std::string name = mem_buffer_name(buf);
    throw std::invalid_argument("memory." + name + "_kib: the " + name + " scratchpad (" +
                                std::to_string(space_[buf].cap) + " bytes) cannot hold what the array needs in it at " +
                                "once (another " + std::to_string(bytes) + " bytes with " +
                                std::to_string(space_[buf].used) + " in use); make it larger");
  }

  void need(const Event& e, double now) {
    ReadChunk& c = reads[e.a];
    if (c.bytes == 0) return;
    while (c.last_burst == kNoRequest)
      if (!serve_next()) too_small(reads[rhead_].buf, reads[rhead_].bytes);
    const double arrival = dram_.done(c.last_burst);
    if (arrival > now) {
      const auto s = static_cast<std::uint64_t>(std::ceil(arrival - now));
      stall_ += s;
      st_.stall[c.buf] += s;
    }
  }

  // Room for e.a output bytes: the writes already resolved, then older
  // writes one at a time (in order, so the first that makes room gives the
  // exact time), then more requests.
  void reserve(const Event& e, double now) {
    Space& sp = space_[kOfmap];
    while (resolve_write(now)) {  // what has left by now (the occupancy)
    }
    double t = sp.fit_time(now, e.a);
    while (t == kInf) {
      if (!resolve_write(kInf) && !serve_next()) too_small(kOfmap, e.a);
      t = sp.fit_time(now, e.a);
    }
    sp.allocate(e.a);
    if (t > now) {
      const auto s = static_cast<std::uint64_t>(std::ceil(t - now));
      stall_ += s;
      st_.stall[kOfmap] += s;
    }
  }

  MemoryStats& st_;
  DramBackend& dram_;
  const std::uint64_t burst_, prefetch_;
  Space space_[3];
  std::deque<Write> writes_;
  std::deque<std::pair<std::uint64_t, std::uint64_t>> pending_writes_;  // (request, bytes) not yet resolved
  std::vector<std::pair<std::uint64_t, std::uint64_t>> resolved_;       // the writes resolved so far
  std::uint64_t addr_[3] = {0, std::uint64_t{1} << 40, std::uint64_t{1} << 41};
  std::uint64_t stall_ = 0;
  std::vector<double> started_;  // real time each fold started (kInf: not yet)
  std::size_t rhead_ = 0;
  std::uint64_t rburst_ = 0;
  bool allocated_ = false;
  double chunk_ready_ = 0, prev_ready_ = 0;
};

// Extra cycles a port of `port` bytes per cycle adds to a skewed stream:
// lane l (l < lanes) moves `bytes` per step in steps l .. l + len - 1. Step t
// completes at E(t) = max(E(t-1) + 1, ceil(D(t) / port)), D(t) the bytes of
// steps 0..t; returns E(t) - (t + 1) after each step (nondecreasing), or
// nothing when the port keeps up with every step (unlimited, or as wide as
// all lanes together).
std::vector<std::uint64_t> port_extra(int lanes, int len, std::uint64_t bytes, std::uint64_t port) {
  if (port == 0 || static_cast<std::uint64_t>(lanes) * bytes <= port) return {};
  const int steps = len + lanes - 1;
  std::vector<std::uint64_t> extra(static_cast<std::size_t>(steps), 0);
  std::uint64_t d = 0, e = 0;
  for (int t = 0; t < steps; ++t) {
    const int active = std::min({t + 1, lanes, len, steps - t});
    d += static_cast<std::uint64_t>(active) * bytes;
    e = std::max(e + 1, (d + port - 1) / port);
    extra[static_cast<std::size_t>(t)] = e - static_cast<std::uint64_t>(t + 1);
  }
  return extra;
}

// The ifmap addresses of one group's im2col rows (docs/arithmetic.md §4: row
// m is output pixel (m / W_out, m % W_out), k = (kh*KW + kw)*Cg + c).
class Im2col {
 public:
  Im2col(const ConvGeometry& g, int group) : g_(g), group_(group), Cg_(g.cin_per_group()), Wo_(g.W_out()) {}
  // fn(address) for every non-padding (m, k), k in [k0, k1).
  template <class F>
  void row(int m, int k0, int k1, F&& fn) const {
    int k = k0;
    while (k < k1) {
      const int tap = k / Cg_, c0 = k % Cg_;
      const int c1 = std::min(Cg_, c0 + (k1 - k));
      std::uint64_t px;
      if (pixel(m, tap, px)) {
        const std::uint64_t base = px * static_cast<std::uint64_t>(g_.C_in) +
                                   static_cast<std::uint64_t>(group_) * static_cast<std::uint64_t>(Cg_);
        for (int c = c0; c < c1; ++c) fn(base + static_cast<std::uint64_t>(c));
      }
      k += c1 - c0;
    }
  }
  // The input pixel (iy * W + ix) that tap (kh * KW + kw) of output row m
  // reads; false for a padding tap. Every tap reads all Cg channels of its
  // group at that pixel.
  bool pixel(int m, int tap, std::uint64_t& px) const {
    const int oy = m / Wo_, ox = m % Wo_, kh = tap / g_.KW, kw = tap % g_.KW;
    const int iy = oy * g_.SH - g_.pad_top + kh * g_.DH, ix = ox * g_.SW - g_.pad_left + kw * g_.DW;
    if (iy < 0 || iy >= g_.H || ix < 0 || ix >= g_.W) return false;
    px = static_cast<std::uint64_t>(iy) * static_cast<std::uint64_t>(g_.W) + static_cast<std::uint64_t>(ix);
    return true;
  }

 private:
  const ConvGeometry& g_;
  int group_, Cg_, Wo_;
};

// The new bytes and the bytes last used by each chunk of one fold's ifmap
// walk (chunks in consumption order), and the fold's distinct bytes.
struct FoldWalk {
  std::vector<std::uint64_t> fetch, retire, reads;
  std::uint64_t distinct = 0;
};

class Builder {
 public:
  Builder(const MemoryConfig& cfg, const MemoryArray& arr, const MemoryLayer& L, MemoryStats& st, Engine& eng)
      : cfg_(cfg), arr_(arr), L_(L), st_(st), eng_(eng), G_(cfg.chunk_steps), kps_(arr.pairs ? 2 : 1) {
    const ConvGeometry& g = L.geo;
    ifmap_size_ =
        static_cast<std::uint64_t>(g.H) * static_cast<std::uint64_t>(g.W) * static_cast<std::uint64_t>(g.C_in);
  }

  void build() {
    const ConvGeometry& g = L_.geo;
    const int M = static_cast<int>(L_.pixels), N = g.cout_per_group(), K = g.K();
    const int S = arr_.pairs ? (K + 1) / 2 : K;
    // Distinct ifmap bytes of the whole layer (whole-layer residency if they
    // fit): every group's taps touch the same input pixels, and each touched
    // pixel is read in all its C_in channels (its group's Cg per group).
    {
      std::vector<bool> seen(static_cast<std::size_t>(g.H) * static_cast<std::size_t>(g.W), false);
      const Im2col im(g, 0);
      std::uint64_t pixels = 0, px = 0;
      for (int m = 0; m < M; ++m)
        for (int tap = 0; tap < g.KH * g.KW; ++tap)
          if (im.pixel(m, tap, px) && !seen[px]) seen[px] = true, ++pixels;
      st_.unique[kIfmap] = pixels * static_cast<std::uint64_t>(g.C_in);
    }
    st_.unique[kFilter] = static_cast<std::uint64_t>(K) * static_cast<std::uint64_t>(g.C_out);
    st_.unique[kOfmap] = static_cast<std::uint64_t>(M) * static_cast<std::uint64_t>(g.C_out) *
                         static_cast<std::uint64_t>(cfg_.output_bytes);
    whole_ifmap_ = cap_of(cfg_.ifmap) >= st_.unique[kIfmap];
    whole_filter_ = cap_of(cfg_.filter) >= st_.unique[kFilter];
    // Per-address state of the walks: first touch (whole layer), or the
    // fold stamp and last chunk (streaming).
    if (whole_ifmap_) {
      touched_.assign(ifmap_size_, false);
    } else {
      stamp_.assign(ifmap_size_, 0);
      last_.assign(ifmap_size_, 0);
    }

    std::uint64_t t0 = 0;
    for (int grp = 0; grp < g.groups; ++grp) {
      const FoldSchedule sch(arr_.dataflow, arr_.buffering, arr_.rows, arr_.cols, M, N, S);
      if (arr_.dataflow == Dataflow::WS)
        gemm_ws(sch, grp, M, N, K, S, t0);
      else
        gemm_os(sch, grp, M, N, K, S, t0);
      t0 += sch.cycles();
    }
    st_.compute_cycles += t0;
  }

 private:
  void event(std::uint64_t t, int kind, int buf, std::uint64_t a) {
    eng_.events.push_back(Event{t, kind, buf, a, seq_++});
  }
  void read(std::uint64_t t, int buf, std::uint64_t bytes) {
    eng_.events.push_back(Event{t, kNeed, buf, eng_.reads.size(), seq_++});
    eng_.reads.push_back(ReadChunk{buf, fold_seq_, t, bytes});
  }
  // The array reaches fold `fold_seq_` (numbered over the layer's GEMMs) at t.
  void start_fold(std::uint64_t t) { event(t, kFoldStart, 0, ++fold_seq_); }
  // Port stalls of a skewed stream starting at `start`, charged at each
  // chunk boundary (steps j*G) with what accrued before it, and the rest
  // after the last step.
  void port_stalls(std::uint64_t start, int lanes, int len, std::uint64_t bytes, std::uint64_t port, int buf) {
    const std::vector<std::uint64_t> x = port_extra(lanes, len, bytes, port);
    if (x.empty() || x.back() == 0) return;
    std::uint64_t charged = 0;
    for (int s = G_; s < len; s += G_) {
      const std::uint64_t due = x[static_cast<std::size_t>(s - 1)];
      if (due > charged) event(start + static_cast<std::uint64_t>(s), kPortStall, buf, due - charged), charged = due;
    }
    if (x.back() > charged) event(start + static_cast<std::uint64_t>(x.size()), kPortStall, buf, x.back() - charged);
  }

  // One fold's ifmap: rows [m0, m1) x reduction [k0, k1), consumed in chunks
  // of G slots (ws: chunk = G output rows, all k; os: G steps of k, all rows).
  FoldWalk walk(int grp, int m0, int m1, int k0, int k1, bool by_rows) {
    FoldWalk w;
    const Im2col im(L_.geo, grp);
    ++fold_id_;
    std::vector<std::uint64_t> order;  // distinct addresses of the fold, streaming mode
    const auto touch = [&](std::uint64_t a, std::size_t j) {
      ++w.reads[j];
      if (whole_ifmap_) {
        if (!touched_[a]) touched_[a] = true, ++w.fetch[j];
        return;
      }
      if (stamp_[a] != fold_id_) {
        stamp_[a] = fold_id_;
        ++w.fetch[j];
        ++w.distinct;
        order.push_back(a);
      }
      last_[a] = static_cast<std::uint32_t>(j);
    };
    if (by_rows) {
      const std::size_t chunks = static_cast<std::size_t>((m1 - m0 + G_ - 1) / G_);
      w.fetch.assign(chunks, 0), w.retire.assign(chunks, 0), w.reads.assign(chunks, 0);
      for (int m = m0; m < m1; ++m) {
        const auto j = static_cast<std::size_t>((m - m0) / G_);
        im.row(m, k0, k1, [&](std::uint64_t a) { touch(a, j); });
      }
    } else {
      const int steps = (k1 - k0 + kps_ - 1) / kps_;
      const std::size_t chunks = static_cast<std::size_t>((steps + G_ - 1) / G_);
      w.fetch.assign(chunks, 0), w.retire.assign(chunks, 0), w.reads.assign(chunks, 0);
      for (std::size_t j = 0; j < chunks; ++j) {
        const int ka = k0 + static_cast<int>(j) * G_ * kps_, kb = std::min(k1, ka + G_ * kps_);
        for (int m = m0; m < m1; ++m) im.row(m, ka, kb, [&](std::uint64_t a) { touch(a, j); });
      }
    }
    for (std::uint64_t a : order) ++w.retire[last_[a]];
    return w;
  }

  // Adds a fold's ifmap chunks. need(j) / last(j): array times of chunk j's
  // first and last use. keep: the fold's bytes stay for the next fold (same
  // slice); reuse: this fold's slice is already resident (nothing fetched);
  // release_at: retire the resident slice after this time (0: not yet).
  template <class Need, class Last>
  void ifmap_chunks(const FoldWalk& w, Need need, Last last, bool reuse, bool keep, std::uint64_t release_at) {
    for (std::size_t j = 0; j < w.fetch.size(); ++j) {
      st_.sram_read[kIfmap] += w.reads[j];
      if (!reuse && w.fetch[j] > 0) read(need(j), kIfmap, w.fetch[j]);
      if (!whole_ifmap_ && !keep && !reuse && w.retire[j] > 0) event(last(j), kRetire, kIfmap, w.retire[j]);
    }
    if (release_at > 0 && !whole_ifmap_) event(release_at, kRetire, kIfmap, w.distinct);
  }

  void gemm_ws(const FoldSchedule& sch, int grp, int M, int N, int K, int S, std::uint64_t t0) {
    const int R = arr_.rows, C = arr_.cols, KF = sch.inner_folds(), NF = sch.outer_folds();
    const std::uint64_t ob = static_cast<std::uint64_t>(cfg_.output_bytes);
    std::vector<FoldWalk> walks(static_cast<std::size_t>(KF));  // per K fold (the same rows for every column fold)
    std::vector<bool> walked(static_cast<std::size_t>(KF), false);
    for (int f = 0; f < sch.folds(); ++f) {
      const FoldTimes ft = sch.fold(f);
      const int nf = ft.outer, kf = ft.inner;
      const int mc = std::min(C, N - nf * C), mr = std::min(R, S - kf * R);
      const int k0 = kf * R * kps_, k1 = std::min(K, (kf * R + mr) * kps_);
      const std::uint64_t wload = t0 + ft.wload, stream = t0 + ft.stream, out = t0 + ft.out;
      start_fold(wload);
      // Filter: the fold's tile, read over the R load cycles (mc weights (pairs) per cycle).
      const std::uint64_t tile = static_cast<std::uint64_t>(k1 - k0) * static_cast<std::uint64_t>(mc);
      st_.sram_read[kFilter] += tile;
      read(wload, kFilter, tile);
      if (!whole_filter_) event(wload + static_cast<std::uint64_t>(R) - 1, kRetire, kFilter, tile);
      if (const std::uint64_t p = cfg_.filter.read_bytes_per_cycle(); p > 0) {
        const std::uint64_t per = static_cast<std::uint64_t>(mc * kps_);
        const std::uint64_t cycles = (static_cast<std::uint64_t>(R) * per + p - 1) / p;
        const std::uint64_t window = ft.stream - ft.wload;
        if (cycles > window) event(wload, kPortStall, kFilter, cycles - window);
      }
      // Ifmap: KF == 1 keeps the one K slice resident across the column folds if it fits.
      const auto ki = static_cast<std::size_t>(kf);
      const bool first = !walked[ki];
      if (first) walks[ki] = walk(grp, 0, M, k0, k1, true), walked[ki] = true;
      const FoldWalk& w = walks[ki];
      const bool slice = KF == 1 && NF > 1 && w.distinct <= cap_of(cfg_.ifmap);
      const bool reuse = whole_ifmap_ ? !first : slice && nf > 0, keep = slice;
      const auto need = [&](std::size_t j) { return stream + static_cast<std::uint64_t>(j) * G_; };
      const auto last = [&](std::size_t j) {
        const int mend = std::min(M, static_cast<int>(j + 1) * G_);
        return stream + static_cast<std::uint64_t>(mr - 1 + mend - 1);
      };
      const std::uint64_t release = slice && nf == NF - 1 ? stream + static_cast<std::uint64_t>(mr - 1 + M - 1) : 0;
      ifmap_chunks(w, need, last, reuse, keep, release);
      port_stalls(stream, mr, M, static_cast<std::uint64_t>(kps_), cfg_.ifmap.read_bytes_per_cycle(), kIfmap);
      st_.peak_ifmap_demand = std::max(st_.peak_ifmap_demand, static_cast<std::uint64_t>(mr * kps_));
      // Ofmap: the last K fold's outputs, G rows x mc columns per chunk;
      // column c takes row m at out + c + m.
      if (kf == KF - 1) {
        for (int m = 0; m < M; m += G_) {
          const int me = std::min(M, m + G_);
          event(out + static_cast<std::uint64_t>(m), kReserve, kOfmap, static_cast<std::uint64_t>((me - m) * mc) * ob);
          event(out + static_cast<std::uint64_t>(mc - 1 + me - 1), kReady, kOfmap,
                static_cast<std::uint64_t>((me - m) * mc) * ob);
        }
        port_stalls(out, mc, M, ob, cfg_.ofmap.write_bytes_per_cycle(), kOfmap);
      }
    }
  }

  void gemm_os(const FoldSchedule& sch, int grp, int M, int N, int K, int S, std::uint64_t t0) {
    const int R = arr_.rows, C = arr_.cols, MF = sch.inner_folds(), NF = sch.outer_folds();
    const std::uint64_t ob = static_cast<std::uint64_t>(cfg_.output_bytes);
    const int chunks = (S + G_ - 1) / G_;
    std::vector<FoldWalk> walks(static_cast<std::size_t>(MF));
    std::vector<bool> walked(static_cast<std::size_t>(MF), false);
    for (int f = 0; f < sch.folds(); ++f) {
      const FoldTimes ft = sch.fold(f);
      const int nf = ft.outer, mf = ft.inner;
      const int mc = std::min(C, N - nf * C), mr = std::min(R, M - mf * R);
      const std::uint64_t stream = t0 + ft.stream, out = t0 + ft.out;
      start_fold(stream);
      const auto need = [&](std::size_t j) { return stream + static_cast<std::uint64_t>(j) * G_; };
      const auto last_rows = [&](int lanes) {
        return [=](std::size_t j) {
          const int send = std::min(S, static_cast<int>(j + 1) * G_);
          return stream + static_cast<std::uint64_t>(lanes - 1 + send - 1);
        };
      };
      // Filter: column c streams w(k, n0 + c); the K x mc slice stays for
      // the next fold when the next fold has the same column fold and it fits.
      const std::uint64_t slice_bytes = static_cast<std::uint64_t>(K) * static_cast<std::uint64_t>(mc);
      const bool fslice = MF > 1 && slice_bytes <= cap_of(cfg_.filter);
      for (int j = 0; j < chunks; ++j) {
        const int ka = j * G_ * kps_, kb = std::min(K, ka + G_ * kps_);
        const std::uint64_t bytes = static_cast<std::uint64_t>(kb - ka) * static_cast<std::uint64_t>(mc);
        st_.sram_read[kFilter] += bytes;
        const bool fetch = (whole_filter_ || fslice) ? mf == 0 : true;
        if (fetch) read(need(static_cast<std::size_t>(j)), kFilter, bytes);
        if (!whole_filter_ && !fslice) event(last_rows(mc)(static_cast<std::size_t>(j)), kRetire, kFilter, bytes);
      }
      if (!whole_filter_ && fslice && mf == MF - 1)
        event(last_rows(mc)(static_cast<std::size_t>(chunks - 1)), kRetire, kFilter, slice_bytes);
      port_stalls(stream, mc, S, static_cast<std::uint64_t>(kps_), cfg_.filter.read_bytes_per_cycle(), kFilter);
      // Ifmap: rows m0 .. m0+mr-1, G steps per chunk; MF == 1 keeps the rows resident across column folds.
      const auto mi = static_cast<std::size_t>(mf);
      const bool first = !walked[mi];
      if (first) walks[mi] = walk(grp, mf * R, mf * R + mr, 0, K, false), walked[mi] = true;
      const FoldWalk& w = walks[mi];
      const bool slice = MF == 1 && NF > 1 && w.distinct <= cap_of(cfg_.ifmap);
      const std::uint64_t release = slice && nf == NF - 1 ? last_rows(mr)(static_cast<std::size_t>(chunks - 1)) : 0;
      ifmap_chunks(w, need, last_rows(mr), whole_ifmap_ ? !first : slice && nf > 0, slice, release);
      port_stalls(stream, mr, S, static_cast<std::uint64_t>(kps_), cfg_.ifmap.read_bytes_per_cycle(), kIfmap);
      st_.peak_ifmap_demand = std::max(st_.peak_ifmap_demand, static_cast<std::uint64_t>(mr * kps_));
      // Ofmap: the collectors take row R-1-j at out + j; mapped rows r < mr.
      const std::uint64_t bytes = static_cast<std::uint64_t>(mr * mc) * ob;
      event(out + static_cast<std::uint64_t>(R - mr), kReserve, kOfmap, bytes);
      event(out + static_cast<std::uint64_t>(R - 1), kReady, kOfmap, bytes);
      if (const std::uint64_t p = cfg_.ofmap.write_bytes_per_cycle(); p > 0) {
        const std::uint64_t per = static_cast<std::uint64_t>(mc) * ob;
        const std::uint64_t cycles = (static_cast<std::uint64_t>(mr) * per + p - 1) / p;
        if (cycles > static_cast<std::uint64_t>(mr))
          event(out + static_cast<std::uint64_t>(R - mr), kPortStall, kOfmap, cycles - static_cast<std::uint64_t>(mr));
      }
    }
  }

  const MemoryConfig& cfg_;
  const MemoryArray& arr_;
  const MemoryLayer& L_;
  MemoryStats& st_;
  Engine& eng_;
  const int G_, kps_;
  std::uint64_t ifmap_size_ = 0, seq_ = 0, fold_seq_ = ~std::uint64_t{0};
  bool whole_ifmap_ = false, whole_filter_ = false;
  std::uint32_t fold_id_ = 0;
  std::vector<std::uint32_t> stamp_, last_;
  std::vector<bool> touched_;
};

}  // namespace

BuiltinDram::BuiltinDram(const DramConfig& cfg)
    : unlimited_(!(cfg.bytes_per_cycle > 0)),
      scale_(unlimited_ ? 1000 : static_cast<std::uint64_t>(std::llround(cfg.bytes_per_cycle * 1000))),
      lat_(cfg.latency * scale_),
      q_(cfg.max_outstanding) {}

std::uint64_t BuiltinDram::submit(double ready, std::uint64_t /*address*/, std::uint32_t bytes, bool /*write*/) {
  // Ready times are whole cycles or earlier answers of this model: whole units.
  std::uint64_t issue = static_cast<std::uint64_t>(std::llround(ready * static_cast<double>(scale_)));
  // Issue once fewer than q_ requests are in flight: request i - q_ has completed.
  if (q_ > 0 && times_.size() >= static_cast<std::size_t>(q_))
    issue = std::max(issue, times_[times_.size() - static_cast<std::size_t>(q_)].second);
  const std::uint64_t start = std::max(issue, bus_free_);
  const std::uint64_t xfer = unlimited_ ? 0 : std::uint64_t{1000} * bytes;
  bus_free_ = start + xfer;
  busy_ += xfer;
  times_.emplace_back(bus_free_, bus_free_ + lat_);
  return times_.size() - 1;
}

double BuiltinDram::transferred(std::uint64_t id, double until) {
  const double t = cycles(times_.at(id).first);
  return t <= until ? t : kInf;
}

MemoryStats simulate_memory(const MemoryConfig& cfg, const MemoryArray& array, const MemoryLayer& layer,
                            DramBackend* dram) {
  cfg.validate();
  layer.geo.validate();
  if (layer.pixels < 1 || layer.pixels > static_cast<std::int64_t>(layer.geo.H_out()) * layer.geo.W_out())
    throw std::invalid_argument("simulate_memory: pixels out of range");
  MemoryStats st;
  BuiltinDram builtin(cfg.dram);
  Engine eng(cfg, st, dram ? *dram : builtin);
  Builder b(cfg, array, layer, st, eng);
  b.build();
  eng.run(st.compute_cycles);
  return st;
}

}  // namespace sparq
