#include "npy.h"

#include <algorithm>
#include <cstring>

#include "atomic_file.h"
#include "errors.h"
#include "safe_io.h"

namespace sparq {

const char* dtype_descr(DType d) {
  switch (d) {
    case DType::U1: return "|u1";
    case DType::I1: return "|i1";
    case DType::I4: return "<i4";
    case DType::I8: return "<i8";
    case DType::F4: return "<f4";
  }
  return "?";
}

std::size_t dtype_size(DType d) {
  switch (d) {
    case DType::U1:
    case DType::I1: return 1;
    case DType::I4:
    case DType::F4: return 4;
    case DType::I8: return 8;
  }
  return 0;
}

std::size_t NpyArray::count() const {
  std::size_t n = 1;
  for (auto s : shape) n *= static_cast<std::size_t>(s);
  return n;
}

std::string NpyArray::shape_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

[[noreturn]] void fail(const std::string& name, const std::string& why) {
  throw InputError(name + ": " + why);
}

// Strict parser for the header dict, as numpy writes it:
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(const std::string& h, const std::string& name) : h_(h), name_(name) {}

  void parse(std::string& descr, bool& fortran, std::vector<std::int64_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    ws();
    expect('{');
    while (true) {
      ws();
      if (peek() == '}') {
        ++p_;
        break;
      }
      const std::string key = quoted();
      ws();
      expect(':');
      ws();
      if (key == "descr") {
        if (have_descr) fail("npy header has 'descr' twice");
        descr = quoted(), have_descr = true;
      } else if (key == "fortran_order") {
        if (have_order) fail("npy header has 'fortran_order' twice");
        fortran = boolean(), have_order = true;
      } else if (key == "shape") {
        if (have_shape) fail("npy header has 'shape' twice");
        shape = tuple(), have_shape = true;
      } else {
        fail("npy header has an unexpected key '" + key + "' (expected descr, fortran_order, shape)");
      }
      ws();
      if (peek() == ',') {
        ++p_;
        continue;
      }
      ws();
      expect('}');
      break;
    }
    while (p_ < h_.size() && (h_[p_] == ' ' || h_[p_] == '\n' || h_[p_] == '\0')) ++p_;
    if (p_ != h_.size()) fail("npy header has text after its dict");
    if (!have_descr) fail("npy header has no 'descr' entry");
    if (!have_order) fail("npy header has no 'fortran_order' entry");
    if (!have_shape) fail("npy header has no 'shape' entry");
  }

 private:
  [[noreturn]] void fail(const std::string& why) const { throw InputError(name_ + ": " + why); }
  char peek() const { return p_ < h_.size() ? h_[p_] : '\0'; }
  void ws() {
    while (p_ < h_.size() && h_[p_] == ' ') ++p_;
  }
  void expect(char c) {
    if (peek() != c)
      fail(std::string("npy header is malformed (expected '") + c + "' at offset " + std::to_string(p_) + ")");
    ++p_;
  }
  std::string quoted() {
    const char q = peek();
    if (q != '\'' && q != '"')
      fail("npy header is malformed (expected a quoted string at offset " + std::to_string(p_) + ")");
    const auto e = h_.find(q, p_ + 1);
    if (e == std::string::npos) fail("npy header has an unterminated string");
    std::string s = h_.substr(p_ + 1, e - p_ - 1);
    p_ = e + 1;
    return s;
  }
  bool boolean() {
    if (h_.compare(p_, 5, "False") == 0) return p_ += 5, false;
    if (h_.compare(p_, 4, "True") == 0) return p_ += 4, true;
    fail("npy header: fortran_order must be True or False");
  }
  std::vector<std::int64_t> tuple() {
    expect('(');
    std::vector<std::int64_t> out;
    ws();
    if (peek() == ')') return ++p_, out;
    while (true) {
      ws();
      const std::size_t b = p_;
      while (p_ < h_.size() && h_[p_] >= '0' && h_[p_] <= '9') ++p_;
      if (p_ == b) fail("bad shape in npy header: expected a dimension at offset " + std::to_string(b));
      if (p_ - b > 12) fail("bad shape in npy header: dimension too large");
      out.push_back(std::stoll(h_.substr(b, p_ - b)));
      ws();
      if (peek() == ')') return ++p_, out;
      expect(',');
      ws();
      if (peek() == ')') return ++p_, out;  // trailing comma, as in (6,)
    }
  }

  const std::string& h_;
  const std::string& name_;
  std::size_t p_ = 0;
};

constexpr std::size_t kMaxHeader = 1 << 20;

}  // namespace

NpyHeader parse_npy_header(const std::uint8_t* f, std::size_t n, const std::string& name) {
  static const unsigned char magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (n < 10 || std::memcmp(f, magic, 6) != 0) fail(name, "not a .npy file (bad magic string)");
  const int major = f[6];
  std::size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = f[8] | (static_cast<std::size_t>(f[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (n < 12) fail(name, "truncated .npy header");
    header_len = f[8] | (static_cast<std::size_t>(f[9]) << 8) | (static_cast<std::size_t>(f[10]) << 16) |
                 (static_cast<std::size_t>(f[11]) << 24);
    offset = 12;
  } else {
    fail(name, "unsupported .npy format version " + std::to_string(major));
  }
  if (header_len > kMaxHeader) fail(name, "npy header length " + std::to_string(header_len) + " is implausibly large");
  if (offset + header_len > n) fail(name, "truncated .npy header");
  const std::string h(reinterpret_cast<const char*>(f + offset), header_len);
  NpyHeader a;
  std::string descr;
  bool fortran = false;
  HeaderParser(h, name).parse(descr, fortran, a.shape);
  if (descr == "|u1" || descr == "u1" || descr == "<u1")
    a.dtype = DType::U1;
  else if (descr == "|i1" || descr == "i1" || descr == "<i1")
    a.dtype = DType::I1;
  else if (descr == "<i4")
    a.dtype = DType::I4;
  else if (descr == "<i8")
    a.dtype = DType::I8;
  else if (descr == "<f4")
    a.dtype = DType::F4;
  else
    fail(name, "unsupported dtype '" + descr + "' (expected |u1, |i1, <i4, <i8 or <f4, little-endian)");
  if (fortran) fail(name, "Fortran-ordered arrays are not supported (expected fortran_order: False)");
  if (a.shape.size() > 32) fail(name, "npy shape has more than 32 dimensions");
  a.data_offset = offset + header_len;
  // Checked product: a crafted shape must not wrap to a small byte count.
  std::size_t want = dtype_size(a.dtype);
  for (auto d : a.shape) {
    if (d != 0 && want > (std::size_t{1} << 40) / static_cast<std::size_t>(d)) {
      NpyArray s;
      s.shape = a.shape;
      fail(name, "shape " + s.shape_string() + " is too large (over 1 TiB of data)");
    }
    want *= static_cast<std::size_t>(d);
  }
  a.data_bytes = want;
  return a;
}

namespace {

void check_length(const NpyHeader& h, std::size_t file_size, const std::string& name) {
  const std::size_t have = file_size - h.data_offset;
  NpyArray s;
  s.shape = h.shape;
  if (have < h.data_bytes)
    fail(name, "truncated data: shape " + s.shape_string() + " needs " + std::to_string(h.data_bytes) +
                   " bytes, file has " + std::to_string(have));
  if (have > h.data_bytes)
    fail(name, "file is longer than its header says (" + std::to_string(have - h.data_bytes) + " trailing bytes)");
}

}  // namespace

NpyArray parse_npy(const std::vector<std::uint8_t>& f, const std::string& name) {
  const NpyHeader h = parse_npy_header(f.data(), f.size(), name);
  check_length(h, f.size(), name);
  NpyArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  a.bytes.assign(f.begin() + static_cast<std::ptrdiff_t>(h.data_offset), f.end());
  return a;
}

std::vector<std::uint8_t> read_npy_file(const std::string& path, void (*check)(const NpyHeader&, const void*),
                                        const void* ctx) {
  const InputFile in(path, "");
  // The header first (bounded), then the data only if the size agrees.
  const std::size_t head = static_cast<std::size_t>(std::min<std::uint64_t>(in.size(), 12));
  std::vector<std::uint8_t> f(head);
  if (head) in.read_at(0, f.data(), head);
  if (head < 10 || std::memcmp(f.data(), "\x93NUMPY", 6) != 0) fail(path, "not a .npy file (bad magic string)");
  if (f[6] < 1 || f[6] > 3) fail(path, "unsupported .npy format version " + std::to_string(f[6]));
  const std::size_t hl =
      f[6] == 1 ? (f[8] | (static_cast<std::size_t>(f[9]) << 8)) + 10
                : (head < 12 ? 12
                             : (f[8] | (static_cast<std::size_t>(f[9]) << 8) | (static_cast<std::size_t>(f[10]) << 16) |
                                (static_cast<std::size_t>(f[11]) << 24)) +
                                   12);
  if (hl > kMaxHeader + 12) fail(path, "npy header length " + std::to_string(hl) + " is implausibly large");
  if (hl > in.size()) fail(path, "truncated .npy header");
  f.resize(hl);
  if (hl > head) in.read_at(head, f.data() + head, hl - head);
  const NpyHeader h = parse_npy_header(f.data(), f.size(), path);
  if (check) check(h, ctx);
  check_length(h, static_cast<std::size_t>(in.size()), path);
  f.resize(h.data_offset + h.data_bytes);
  if (h.data_bytes) in.read_at(h.data_offset, f.data() + h.data_offset, h.data_bytes);
  return f;
}

NpyArray read_npy(const std::string& path) {
  return parse_npy(read_npy_file(path), path);
}

std::vector<std::uint8_t> serialize_npy(const NpyArray& a) {
  std::string h = std::string("{'descr': '") + dtype_descr(a.dtype) + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < a.shape.size(); ++i) h += std::to_string(a.shape[i]) + ", ";
  if (a.shape.size() > 1) h.resize(h.size() - 2);
  if (a.shape.size() == 1) h.resize(h.size() - 1);
  h += "), }";
  const std::size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  const std::uint8_t magic[10] = {0x93,
                                  'N',
                                  'U',
                                  'M',
                                  'P',
                                  'Y',
                                  1,
                                  0,
                                  static_cast<std::uint8_t>(h.size() & 0xFF),
                                  static_cast<std::uint8_t>(h.size() >> 8)};
  std::vector<std::uint8_t> out(sizeof magic + h.size() + a.bytes.size());
  std::copy(magic, magic + sizeof magic, out.begin());
  std::copy(h.begin(), h.end(), out.begin() + static_cast<std::ptrdiff_t>(sizeof magic));
  std::copy(a.bytes.begin(), a.bytes.end(), out.begin() + static_cast<std::ptrdiff_t>(sizeof magic + h.size()));
  return out;
}

void write_npy(const std::string& path, const NpyArray& a) {
  const auto bytes = serialize_npy(a);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace sparq
