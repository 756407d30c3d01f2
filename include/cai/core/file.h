// Whole-file reads and crash-safe writes (used by every module that saves something).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace cai {

/// Writes `bytes` to `path` atomically: a uniquely named temporary file in the same directory is
/// written, flushed and fsync'ed, then renamed over `path`. Readers see the old or the new content,
/// never a mix. Throws cai::Error naming the path and the OS error; the temporary file is removed.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);

/// The whole file; throws cai::Error naming the path if it cannot be read.
std::string ReadFile(const std::filesystem::path& path);

}  // namespace cai
