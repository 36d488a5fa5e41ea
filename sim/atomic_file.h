// Atomic result files: content is written to a temporary file beside the
// target and renamed over it, so a reader never sees a partial file and an
// interrupted run never corrupts what was already there.
#pragma once

#include <string>

namespace sparq {

// Throws InputError naming path if the directory is not writable.
void write_file_atomic(const std::string& path, const std::string& content);
// Creates dir (and parents); throws InputError if it cannot.
void ensure_directory(const std::string& dir);

}  // namespace sparq
