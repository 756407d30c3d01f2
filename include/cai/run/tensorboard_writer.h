// TensorBoard event files written directly (no TensorFlow): TFRecord framing with masked CRC32C
// around hand-encoded Event protocol buffers carrying scalar summaries.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace cai::run {

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `data`.
std::uint32_t Crc32c(std::string_view data);
/// TFRecord's masking of a CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
std::uint32_t MaskCrc(std::uint32_t crc);

/// Appends scalar summaries to a new file dir/events.out.tfevents.<seconds>.<host>.<pid>.<n>. The
/// first record is the file_version event "brain.Event:2". Each record is
/// [uint64 length][uint32 masked crc of length][Event bytes][uint32 masked crc of bytes].
class TensorBoardWriter {
 public:
  /// Creates the file; throws cai::Error naming it if it cannot.
  explicit TensorBoardWriter(const std::filesystem::path& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  /// Event{wall_time, step, summary{value{tag, simple_value (float32)}}}.
  void AddScalar(std::string_view tag, double value, std::int64_t step, double wall_time_seconds);
  void Flush();
  const std::filesystem::path& path() const { return path_; }

 private:
  void WriteRecord(std::string_view event);
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
};

/// For a resumed run: rewrites each events.out.tfevents.* file in `dir` (atomically) keeping only
/// its events with step <= `last_step`, so that TensorBoard shows no point of the interrupted run
/// past its checkpoint; a partly written last record (a killed run) is dropped, and a file left
/// with no scalar event is removed. Throws cai::Error naming a file whose records are corrupt.
void TrimEventFiles(const std::filesystem::path& dir, std::int64_t last_step);

}  // namespace cai::run
