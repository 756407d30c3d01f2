#include "cai/run/tensorboard_writer.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "cai/core/error.h"

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

}  // namespace

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
