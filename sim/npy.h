// Reader and writer for NumPy .npy arrays (format 1.0/2.0/3.0, C order,
// little-endian; dtypes uint8, int8, int32, int64, float32). Every malformed
// case throws sparq::InputError naming the file.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace sparq {

enum class DType : std::uint8_t { U1, I1, I4, I8, F4 };
const char* dtype_descr(DType d);  // "|u1", "<i4", ...
std::size_t dtype_size(DType d);

struct NpyArray {
  DType dtype = DType::U1;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;  // raw little-endian element data

  std::size_t count() const;
  template <typename T>
  const T* data() const {
    return reinterpret_cast<const T*>(bytes.data());
  }
  std::string shape_string() const;  // "[3, 4]"
};

// A parsed .npy header.
struct NpyHeader {
  DType dtype = DType::U1;
  std::vector<std::int64_t> shape;
  std::size_t data_offset = 0;  // bytes before the data
  std::size_t data_bytes = 0;   // what the shape and dtype need
};
// Parses the header at the start of an image of n bytes (which must hold
// the whole header; the data need not be there). Strict: the dict has
// exactly descr, fortran_order and shape, each once, and shape is a tuple
// of decimal integers.
NpyHeader parse_npy_header(const std::uint8_t* image, std::size_t n, const std::string& name);

// Reads path: a regular file (never a FIFO or device), whose header is read
// and checked against the file's size before any data is; `check`, when
// given, sees the header first (e.g. to compare the shape with what is
// expected) and may throw. Returns the whole file image.
std::vector<std::uint8_t> read_npy_file(const std::string& path, void (*check)(const NpyHeader&, const void*) = nullptr,
                                        const void* ctx = nullptr);
// Reads path; throws InputError("<path>: <reason>").
NpyArray read_npy(const std::string& path);
// Parses an in-memory .npy image; name is used in error messages.
NpyArray parse_npy(const std::vector<std::uint8_t>& file, const std::string& name);
// Serializes to a .npy 1.0 image.
std::vector<std::uint8_t> serialize_npy(const NpyArray& a);
// Writes atomically (temporary file + rename).
void write_npy(const std::string& path, const NpyArray& a);

template <typename T>
NpyArray make_npy(DType dt, std::vector<std::int64_t> shape, const std::vector<T>& values) {
  NpyArray a;
  a.dtype = dt;
  a.shape = std::move(shape);
  a.bytes.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(a.bytes.data(), values.data(), a.bytes.size());
  return a;
}

}  // namespace sparq
