#include "atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>

#include "errors.h"
#include "safe_io.h"
#include "sha256.h"

namespace sparq {

namespace {

// A result file larger than this is not read back to be verified.
constexpr std::uint64_t kMaxResultFileBytes = 1ull << 30;

std::string random_hex(std::size_t bytes) {
  static thread_local std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < bytes; ++i) {
    const unsigned v = rd() & 0xFFu;
    s += hex[v >> 4];
    s += hex[v & 15];
  }
  return s;
}

// Holds SIGINT, SIGTERM, SIGHUP and SIGQUIT while files are staged and
// renamed, so that an interrupted run finishes writing the set (a few
// milliseconds) and then dies, instead of leaving temporaries or half a set.
class SignalsHeld {
 public:
  SignalsHeld() {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&s, sig);
    ::pthread_sigmask(SIG_BLOCK, &s, &old_);
  }
  ~SignalsHeld() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  SignalsHeld(const SignalsHeld&) = delete;
  SignalsHeld& operator=(const SignalsHeld&) = delete;

 private:
  sigset_t old_;
};

std::string why_write(int e) {
  if (e == EFBIG) return "file too large: the file-size limit (ulimit -f) was reached";
  if (e == ENOSPC) return "no space left on device";
  if (e == EDQUOT) return "disk quota exceeded";
  return errno_text(e);
}

void fsync_dir(const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Writes content to a fresh, unpredictable temporary beside path; returns its name.
std::string stage(const std::string& path, const std::string& content) {
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    tmp = path + ".tmp." + random_hex(12);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) throw InputError(path + ": cannot write (" + errno_text(errno) + ")");
  }
  if (fd < 0) throw InputError(path + ": cannot create a temporary file (names keep existing)");
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = why_write(n < 0 ? errno : ENOSPC);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw InputError(path + ": write failed (" + why + ")");
    }
    done += static_cast<std::size_t>(n);
  }
  // The data reaches the disk before the name points at it.
  if (::fsync(fd) != 0) {
    const std::string why = why_write(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    throw InputError(path + ": write failed (" + why + ")");
  }
  if (::close(fd) != 0) {
    const std::string why = why_write(errno);
    ::unlink(tmp.c_str());
    throw InputError(path + ": write failed (" + why + ")");
  }
  return tmp;
}

void commit(const std::string& tmp, const std::string& path) {
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text(errno);
    ::unlink(tmp.c_str());
    throw InputError(path + ": cannot rename temporary file into place (" + why + ")");
  }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content) {
  const SignalsHeld held;
  commit(stage(path, content), path);
  fsync_dir(path);
}

void ensure_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir, ec))
    throw InputError(dir + ": cannot create output directory (" + (ec ? ec.message() : "not a directory") + ")");
  if (::access(dir.c_str(), W_OK) != 0) throw InputError(dir + ": output directory is not writable");
}

void ensure_own_directory(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
    throw InputError(dir + ": is a symbolic link; refusing to write results through it");
  ensure_directory(dir);
}

std::string new_run_id() {
  return random_hex(16);
}

void write_result_set(const std::string& dir, const std::string& run_id,
                      const std::vector<std::pair<std::string, std::string>>& files) {
  namespace fs = std::filesystem;
  const std::string manifest = (fs::path(dir) / kResultManifest).string();
  const SignalsHeld held;
  std::ostringstream m;
  m << "sparq-result-set 1\nrun_id " << run_id << "\n";
  std::vector<std::pair<std::string, std::string>> staged;  // tmp, final
  try {
    for (const auto& [name, content] : files) {
      const std::string path = (fs::path(dir) / name).string();
      staged.emplace_back(stage(path, content), path);
      m << "file " << content.size() << " "
        << sha256_hex(reinterpret_cast<const std::uint8_t*>(content.data()), content.size()) << " " << name << "\n";
    }
  } catch (...) {
    for (const auto& s : staged) ::unlink(s.first.c_str());
    throw;
  }
  // From here until the new manifest is in place the directory holds no
  // complete set: readers see "incomplete", never a mix of two runs.
  if (::unlink(manifest.c_str()) != 0 && errno != ENOENT) {
    const std::string why = errno_text(errno);
    for (const auto& s : staged) ::unlink(s.first.c_str());
    throw InputError(manifest + ": cannot remove the previous result manifest (" + why + ")");
  }
  fsync_dir(manifest);
  for (std::size_t i = 0; i < staged.size(); ++i) {
    try {
      commit(staged[i].first, staged[i].second);
    } catch (...) {
      for (std::size_t j = i + 1; j < staged.size(); ++j) ::unlink(staged[j].first.c_str());
      throw;
    }
  }
  write_file_atomic(manifest, m.str());
}

bool result_set_complete(const std::string& dir, std::string* why, std::string* run_id) {
  namespace fs = std::filesystem;
  auto no = [&](const std::string& w) {
    if (why) *why = w;
    return false;
  };
  const std::string manifest = (fs::path(dir) / kResultManifest).string();
  std::string text;
  try {
    text = read_file_bounded(manifest, 1 << 20, "result manifest");
  } catch (const InputError& e) {
    return no(e.what());
  }
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != "sparq-result-set 1") return no(manifest + ": not a result manifest");
  if (!std::getline(in, line) || line.rfind("run_id ", 0) != 0) return no(manifest + ": no run id");
  if (run_id) *run_id = line.substr(7);
  int n = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string tag, sha, name;
    std::uint64_t bytes = 0;
    if (!(ls >> tag >> bytes >> sha >> name) || tag != "file" || name.find('/') != std::string::npos)
      return no(manifest + ": malformed line '" + line + "'");
    const std::string path = (fs::path(dir) / name).string();
    if (bytes > kMaxResultFileBytes) return no(manifest + ": lists " + name + " as implausibly large");
    std::string content;
    try {
      content = read_file_bounded(path, bytes, "result file");
    } catch (const InputError& e) {
      return no(e.what());
    }
    if (content.size() != bytes ||
        sha256_hex(reinterpret_cast<const std::uint8_t*>(content.data()), content.size()) != sha)
      return no(path + ": does not belong to run " + (run_id ? *run_id : std::string()) + " (size or sha256 differs)");
    ++n;
  }
  if (n == 0) return no(manifest + ": lists no files");
  return true;
}

}  // namespace sparq
