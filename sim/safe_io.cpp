#include "safe_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "errors.h"

namespace fs = std::filesystem;

namespace sparq {

std::string errno_text(int e) {
  switch (e) {
    case ENOENT: return "not found";
    case ELOOP: return "too many levels of symbolic links (a symlink loop?)";
    case ENAMETOOLONG: return "file name too long";
    case EACCES: return "permission denied";
    case ENOTDIR: return "a component of the path is not a directory";
    default: return std::strerror(e);
  }
}

InputFile::InputFile(const std::string& path, const std::string& what) : path_(path) {
  const std::string prefix = path + ": " + (what.empty() ? "" : what + ": ");
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd_ < 0) throw InputError(prefix + "cannot open (" + errno_text(errno) + ")");
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int e = errno;
    ::close(fd_);
    throw InputError(prefix + "cannot stat (" + errno_text(e) + ")");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw InputError(prefix + (S_ISDIR(st.st_mode) ? "is a directory, expected a file"
                                                   : "is not a regular file (a device, FIFO or socket)"));
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::read_at(std::uint64_t offset, void* dst, std::size_t n) const {
  auto* p = static_cast<char*>(dst);
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd_, p + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r < 0) throw InputError(path_ + ": read failed (" + errno_text(errno) + ")");
    if (r == 0) throw InputError(path_ + ": file is shorter than expected (did it change while being read?)");
    done += static_cast<std::size_t>(r);
  }
}

std::string read_file_bounded(const std::string& path, std::uint64_t max_bytes, const std::string& what) {
  const InputFile f(path, what);
  if (f.size() > max_bytes)
    throw InputError(path + ": " + (what.empty() ? "" : what + ": ") + "is " + std::to_string(f.size()) +
                     " bytes, more than the " + std::to_string(max_bytes) + " this file type may have");
  std::string s(static_cast<std::size_t>(f.size()), '\0');
  if (!s.empty()) f.read_at(0, s.data(), s.size());
  return s;
}

std::string file_component(const std::string& name) {
  static const char* hex = "0123456789ABCDEF";
  std::string o;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                       c == '-' || c == '+' || c == '=' || c == ',' || c == '@' || (c == '.' && i > 0);
    if (plain) {
      o += static_cast<char>(c);
    } else {
      o += '%';
      o += hex[c >> 4];
      o += hex[c & 15];
    }
  }
  return o;
}

namespace {

// Length of the UTF-8 sequence at s[i] and its code point, or 0 if invalid.
std::size_t utf8_seq(const std::string& s, std::size_t i, std::uint32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t n = 0;
  std::uint32_t min = 0;
  if ((c & 0xE0) == 0xC0)
    n = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0)
    n = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0)
    n = 4, cp = c & 0x07, min = 0x10000;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool is_control(std::uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF;
}

}  // namespace

bool is_valid_utf8(const std::string& s) {
  std::uint32_t cp = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_seq(s, i, cp);
    if (!n) return false;
    i += n;
  }
  return true;
}

std::string clean_text(const std::string& s, bool keep_line_breaks) {
  std::string o;
  std::uint32_t cp = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_seq(s, i, cp);
    if (!n || (is_control(cp) && !(keep_line_breaks && (cp == '\n' || cp == '\t')))) {
      o += "\xEF\xBF\xBD";
      i += n ? n : 1;
    } else {
      o.append(s, i, n);
      i += n;
    }
  }
  return o;
}

std::string xml_escape(const std::string& s, bool keep_line_breaks) {
  std::string o;
  for (const char c : clean_text(s, keep_line_breaks)) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string truncate_utf8(const std::string& s, std::size_t max_chars) {
  std::uint32_t cp = 0;
  std::size_t i = 0;
  for (std::size_t chars = 0; i < s.size() && chars < max_chars; ++chars) {
    const std::size_t n = utf8_seq(s, i, cp);
    i += n ? n : 1;
  }
  return s.substr(0, i);
}

std::string output_name_problem(const std::string& name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 200) return "is longer than 200 bytes";
  if (!is_valid_utf8(name)) return "is not valid UTF-8";
  std::uint32_t cp = 0;
  for (std::size_t i = 0; i < name.size();) {
    const std::size_t n = utf8_seq(name, i, cp);
    if (is_control(cp)) return "contains a control character";
    i += n;
  }
  if (name[0] == '_') return "must not start with '_' (reserved for keys such as _description in results.json)";
  return "";
}

void check_output_file(const std::string& path, const std::string& what) {
  const std::string prefix = what + " " + path + ": ";
  if (path.empty()) throw InputError(what + ": the path is empty");
  if (path.back() == '/') throw InputError(prefix + "is a directory name, expected a file");
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw InputError(prefix + "is a directory, expected a file");
    if (!S_ISREG(st.st_mode))
      throw InputError(prefix + "exists and is not a regular file (a symlink, device or FIFO); refusing to write it");
  } else if (errno != ENOENT) {
    throw InputError(prefix + "cannot be written (" + errno_text(errno) + ")");
  }
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  struct stat ds {};
  if (::stat(dir.c_str(), &ds) != 0)
    throw InputError(prefix + "its directory " + dir.string() + " cannot be used (" + errno_text(errno) + ")");
  if (!S_ISDIR(ds.st_mode)) throw InputError(prefix + dir.string() + " is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) throw InputError(prefix + "its directory is not writable");
  const std::string leaf = fs::path(path).filename().string();
  const long max = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  if (max > 0 && leaf.size() > static_cast<std::size_t>(max)) throw InputError(prefix + "file name too long");
}

}  // namespace sparq
