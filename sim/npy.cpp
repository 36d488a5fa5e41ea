#include "npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "atomic_file.h"
#include "errors.h"

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

// Minimal parser for the header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
std::string dict_value(const std::string& h, const std::string& key, const std::string& name) {
  const std::string k1 = "'" + key + "'";
  auto p = h.find(k1);
  if (p == std::string::npos) fail(name, "npy header has no '" + key + "' entry");
  p = h.find(':', p + k1.size());
  if (p == std::string::npos) fail(name, "npy header is malformed near '" + key + "'");
  ++p;
  while (p < h.size() && h[p] == ' ') ++p;
  if (p >= h.size()) fail(name, "npy header is malformed near '" + key + "'");
  if (h[p] == '\'') {
    auto e = h.find('\'', p + 1);
    if (e == std::string::npos) fail(name, "npy header has an unterminated string");
    return h.substr(p + 1, e - p - 1);
  }
  if (h[p] == '(') {
    auto e = h.find(')', p);
    if (e == std::string::npos) fail(name, "npy header has an unterminated shape tuple");
    return h.substr(p + 1, e - p - 1);
  }
  auto e = h.find_first_of(",}", p);
  if (e == std::string::npos) fail(name, "npy header is malformed near '" + key + "'");
  return h.substr(p, e - p);
}

}  // namespace

NpyArray parse_npy(const std::vector<std::uint8_t>& f, const std::string& name) {
  static const unsigned char magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (f.size() < 10 || std::memcmp(f.data(), magic, 6) != 0) fail(name, "not a .npy file (bad magic string)");
  const int major = f[6];
  std::size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = f[8] | (static_cast<std::size_t>(f[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (f.size() < 12) fail(name, "truncated .npy header");
    header_len = f[8] | (static_cast<std::size_t>(f[9]) << 8) | (static_cast<std::size_t>(f[10]) << 16) |
                 (static_cast<std::size_t>(f[11]) << 24);
    offset = 12;
  } else {
    fail(name, "unsupported .npy format version " + std::to_string(major));
  }
  if (offset + header_len > f.size()) fail(name, "truncated .npy header");
  const std::string h(reinterpret_cast<const char*>(f.data() + offset), header_len);
  NpyArray a;
  const std::string descr = dict_value(h, "descr", name);
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
  const std::string order = dict_value(h, "fortran_order", name);
  if (order != "False") fail(name, "Fortran-ordered arrays are not supported (expected fortran_order: False)");
  const std::string shape = dict_value(h, "shape", name);
  std::stringstream ss(shape);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    auto e = item.find_last_not_of(' ');
    item = item.substr(b, e - b + 1);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos || item.size() > 12)
      fail(name, "bad shape (" + shape + ") in npy header");
    a.shape.push_back(std::stoll(item));
  }
  const std::size_t data_off = offset + header_len;
  // Checked product: a crafted shape must not wrap to a small byte count.
  std::size_t want = dtype_size(a.dtype);
  for (auto d : a.shape) {
    if (d != 0 && want > (std::size_t{1} << 40) / static_cast<std::size_t>(d))
      fail(name, "shape " + a.shape_string() + " is too large (over 1 TiB of data)");
    want *= static_cast<std::size_t>(d);
  }
  const std::size_t have = f.size() - data_off;
  if (have < want)
    fail(name, "truncated data: shape " + a.shape_string() + " needs " + std::to_string(want) + " bytes, file has " +
                   std::to_string(have));
  if (have > want)
    fail(name, "file is longer than its header says (" + std::to_string(have - want) + " trailing bytes)");
  a.bytes.assign(f.begin() + static_cast<std::ptrdiff_t>(data_off), f.end());
  return a;
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::vector<std::uint8_t> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_npy(buf, path);
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
  std::vector<std::uint8_t> out = {0x93,
                                   'N',
                                   'U',
                                   'M',
                                   'P',
                                   'Y',
                                   1,
                                   0,
                                   static_cast<std::uint8_t>(h.size() & 0xFF),
                                   static_cast<std::uint8_t>(h.size() >> 8)};
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), a.bytes.begin(), a.bytes.end());
  return out;
}

void write_npy(const std::string& path, const NpyArray& a) {
  const auto bytes = serialize_npy(a);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace sparq
