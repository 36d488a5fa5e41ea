// Defensive file and name handling (README "Reliability"): bounded reads of
// regular files only, names that become file names escaped injectively, text
// that reaches JSON/SVG/CSV made valid UTF-8 without control characters, and
// output paths checked for writability before anything is simulated. Every
// refusal is an InputError naming the path.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace sparq {

// Size limits for inputs read whole into memory.
constexpr std::uint64_t kMaxYamlBytes = 16ull << 20;  // configs, sweep files, manifests, cell libraries
constexpr std::uint64_t kMaxCsvBytes = 256ull << 20;  // points.csv, point summaries

// A read-only descriptor on a regular file (never a FIFO, device or
// directory; opened without blocking, so a FIFO cannot hang the open).
class InputFile {
 public:
  // Throws InputError "<path>: <what> <reason>" (not found, a directory, not
  // a regular file, a symlink loop, a name too long, permission denied).
  InputFile(const std::string& path, const std::string& what);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  std::uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Reads exactly n bytes at offset; throws if the file is shorter (it
  // changed while being read).
  void read_at(std::uint64_t offset, void* dst, std::size_t n) const;

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// The whole content of a regular file of at most max_bytes.
std::string read_file_bounded(const std::string& path, std::uint64_t max_bytes, const std::string& what);

// "No such file or directory", ... for errno e.
std::string errno_text(int e);

// A name (design, layer) as one file-name component: bytes outside
// [A-Za-z0-9_+=,@-] and '.' are written %XX, '%' included, and a leading '.'
// too, so distinct names give distinct components that never contain '/'
// and are never "." or "..". Over-long results are refused by the caller.
std::string file_component(const std::string& name);

// Why `name` cannot label a design or layer in the outputs ("" = fine):
// empty, not valid UTF-8, control characters, a leading '_' (reserved for
// keys like "_description" in results.json), over 200 bytes.
std::string output_name_problem(const std::string& name);

// UTF-8 helpers for text written into JSON, SVG and CSV.
bool is_valid_utf8(const std::string& s);
// Invalid sequences become U+FFFD; control characters (C0, DEL, C1) become
// U+FFFD too, except line feed and tab with keep_line_breaks (preformatted
// text), so the result is valid XML 1.0 character data.
std::string clean_text(const std::string& s, bool keep_line_breaks = false);
// clean_text, then & < > " ' escaped: XML/HTML character data or a quoted
// attribute value (the SVG plots, report.html).
std::string xml_escape(const std::string& s, bool keep_line_breaks = false);
// At most max_chars code points of valid UTF-8 s, never cutting one.
std::string truncate_utf8(const std::string& s, std::size_t max_chars);

// Checks before simulating that `path` can be created or replaced as a
// regular file: not a directory, not a symlink or other non-regular file,
// its directory exists and is writable. what names the option.
void check_output_file(const std::string& path, const std::string& what);

}  // namespace sparq
