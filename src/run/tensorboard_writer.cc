#include "cai/run/tensorboard_writer.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/file.h"

namespace cai::run {
namespace {

constexpr std::array<std::uint32_t, 256> MakeCrcTable() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrcTable = MakeCrcTable();

// Protocol-buffer encoding of the few fields an Event with a scalar needs.
void Varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void Key(std::string& out, int field, int wire_type) { Varint(out, (static_cast<std::uint64_t>(field) << 3) | wire_type); }
void Fixed(std::string& out, const void* p, std::size_t n) { out.append(static_cast<const char*>(p), n); }
void LengthDelimited(std::string& out, int field, std::string_view bytes) {
  Key(out, field, 2);
  Varint(out, bytes.size());
  out.append(bytes);
}

std::string EventHeader(double wall_time, std::int64_t step) {
  std::string e;
  Key(e, 1, 1);  // wall_time: double
  Fixed(e, &wall_time, 8);
  if (step != 0) {
    Key(e, 2, 0);  // step: int64
    Varint(e, static_cast<std::uint64_t>(step));
  }
  return e;
}

// Reads a varint at data[pos]; false if it runs past the end.
bool ReadVarint(std::string_view data, std::size_t& pos, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && pos < data.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(data[pos++]);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// The Event's step (0 when absent, as for the file_version record) and whether it carries a summary.
bool ParseEvent(std::string_view e, std::int64_t& step, bool& has_summary) {
  step = 0;
  has_summary = false;
  std::size_t pos = 0;
  while (pos < e.size()) {
    std::uint64_t key = 0, v = 0;
    if (!ReadVarint(e, pos, key)) return false;
    const int field = static_cast<int>(key >> 3);
    switch (key & 7) {
      case 0:
        if (!ReadVarint(e, pos, v)) return false;
        if (field == 2) step = static_cast<std::int64_t>(v);
        break;
      case 1: pos += 8; break;
      case 5: pos += 4; break;
      case 2:
        if (!ReadVarint(e, pos, v) || v > e.size() - pos) return false;
        pos += v;
        if (field == 5) has_summary = true;
        break;
      default: return false;
    }
  }
  return pos == e.size();
}

}  // namespace

void TrimEventFiles(const std::filesystem::path& dir, std::int64_t last_step) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().filename().string().starts_with("events.out.tfevents.")) {
      files.push_back(entry.path());
    }
  }
  for (const auto& path : files) {
    const std::string data = ReadFile(path);
    std::string kept;
    bool any_scalar = false;
    std::size_t pos = 0;
    while (data.size() - pos >= 12) {
      std::uint64_t n = 0;
      std::memcpy(&n, data.data() + pos, 8);
      if (n > data.size() - pos - 12 || data.size() - pos - 12 - n < 4) break;  // partly written record
      const std::string_view event(data.data() + pos + 12, n);
      std::uint32_t len_crc = 0, crc = 0;
      std::memcpy(&len_crc, data.data() + pos + 8, 4);
      std::memcpy(&crc, data.data() + pos + 12 + n, 4);
      std::int64_t step = 0;
      bool has_summary = false;
      if (len_crc != MaskCrc(Crc32c(std::string_view(data.data() + pos, 8))) || crc != MaskCrc(Crc32c(event)) ||
          !ParseEvent(event, step, has_summary)) {
        throw Error(fmt::format("{}: corrupt record at byte {}", path.string(), pos));
      }
      if (step <= last_step) {
        kept.append(data, pos, 12 + n + 4);
        any_scalar = any_scalar || has_summary;
      }
      pos += 12 + n + 4;
    }
    if (any_scalar) {
      if (kept.size() != data.size()) WriteFileAtomically(path, kept);
    } else {
      std::filesystem::remove(path);
    }
  }
}

std::uint32_t Crc32c(std::string_view data) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = kCrcTable[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::uint32_t MaskCrc(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

TensorBoardWriter::TensorBoardWriter(const std::filesystem::path& dir) {
  static std::atomic<unsigned> counter{0};
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  path_ = dir / fmt::format("events.out.tfevents.{}.{}.{}.{}", seconds, host, ::getpid(), counter++);
  file_ = std::fopen(path_.c_str(), "wb");
  if (file_ == nullptr) throw Error(fmt::format("{}: cannot create ({})", path_.string(), std::strerror(errno)));
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string e = EventHeader(now, 0);
  LengthDelimited(e, 3, "brain.Event:2");  // file_version
  WriteRecord(e);
  Flush();
}

TensorBoardWriter::~TensorBoardWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void TensorBoardWriter::AddScalar(std::string_view tag, double value, std::int64_t step, double wall_time) {
  std::string v;
  LengthDelimited(v, 1, tag);  // Summary.Value.tag
  const auto f = static_cast<float>(value);
  Key(v, 2, 5);  // simple_value: float
  Fixed(v, &f, 4);
  std::string summary;
  LengthDelimited(summary, 1, v);  // Summary.value
  std::string e = EventHeader(wall_time, step);
  LengthDelimited(e, 5, summary);  // Event.summary
  WriteRecord(e);
}

void TensorBoardWriter::WriteRecord(std::string_view event) {
  const std::uint64_t n = event.size();
  char header[12];
  std::memcpy(header, &n, 8);
  const std::uint32_t len_crc = MaskCrc(Crc32c(std::string_view(header, 8)));
  std::memcpy(header + 8, &len_crc, 4);
  const std::uint32_t data_crc = MaskCrc(Crc32c(event));
  if (std::fwrite(header, 1, 12, file_) != 12 || std::fwrite(event.data(), 1, event.size(), file_) != event.size() ||
      std::fwrite(&data_crc, 1, 4, file_) != 4) {
    throw Error(fmt::format("{}: write failed ({})", path_.string(), std::strerror(errno)));
  }
}

void TensorBoardWriter::Flush() {
  if (std::fflush(file_) != 0) throw Error(fmt::format("{}: flush failed ({})", path_.string(), std::strerror(errno)));
}

}  // namespace cai::run
