// Atomic result files: content is written to a temporary file beside the
// target and renamed over it, so a reader never sees a partial file and an
// interrupted run never corrupts what was already there. Temporary names are
// unpredictable and opened with O_CREAT | O_EXCL | O_NOFOLLOW: a symlink
// planted in a shared output directory cannot redirect a write.
//
// A run's result files are one set (write_result_set): all are staged
// first, then the directory's result manifest is removed, the files renamed
// into place and a new manifest (run id, each file's size and sha256) written
// last. A reader trusts a directory's results only when result_set_complete()
// says the manifest and the files agree.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sparq {

// Throws InputError naming path if the directory is not writable, the disk
// is full or the file-size limit is reached.
void write_file_atomic(const std::string& path, const std::string& content);
// Creates dir (and parents); throws InputError if it cannot.
void ensure_directory(const std::string& dir);
// ensure_directory for a directory the program names inside an output
// directory (a sweep's points/<id>, plots): it must not be a symlink, which
// someone sharing the directory could plant to redirect the writes.
void ensure_own_directory(const std::string& dir);

// The file naming a result set's members.
constexpr const char* kResultManifest = "result_manifest.txt";

// A fresh random run id (32 hex digits).
std::string new_run_id();

// Writes files (name in dir, content) as one set under run_id (see above).
void write_result_set(const std::string& dir, const std::string& run_id,
                      const std::vector<std::pair<std::string, std::string>>& files);

// True if dir holds a complete result set: its manifest exists and every
// listed file has the listed size and sha256. why (optional) says what is off.
bool result_set_complete(const std::string& dir, std::string* why = nullptr, std::string* run_id = nullptr);

}  // namespace sparq
