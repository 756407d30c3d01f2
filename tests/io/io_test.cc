#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/file.h"
#include "cai/io/metrics_logger.h"
#include "cai/io/progress.h"
#include "cai/io/tensorboard_writer.h"

namespace cai::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("cai_io_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string ReadAll(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

TEST(Crc32c, KnownCheckValueAndMask) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  const std::uint32_t c = 0x12345678u;
  EXPECT_EQ(MaskCrc(c), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(TensorBoardWriter, RecordsAreFramedWithValidChecksums) {
  const fs::path dir = FreshDir("tb");
  fs::path path;
  {
    TensorBoardWriter w(dir);
    path = w.path();
    EXPECT_THAT(path.filename().string(), ::testing::StartsWith("events.out.tfevents."));
    w.AddScalar("losses/alpha", 0.5, 7, 1.7e9);
    w.AddScalar("charts/episodic_return", -123.25, 200, 1.7e9 + 1);
  }
  const std::string bytes = ReadFile(path);
  std::size_t pos = 0;
  std::vector<std::string> records;
  while (pos < bytes.size()) {
    ASSERT_LE(pos + 12, bytes.size());
    std::uint64_t n;
    std::memcpy(&n, bytes.data() + pos, 8);
    std::uint32_t len_crc, data_crc;
    std::memcpy(&len_crc, bytes.data() + pos + 8, 4);
    EXPECT_EQ(len_crc, MaskCrc(Crc32c(std::string_view(bytes.data() + pos, 8))));
    ASSERT_LE(pos + 12 + n + 4, bytes.size());
    const std::string_view data(bytes.data() + pos + 12, n);
    std::memcpy(&data_crc, bytes.data() + pos + 12 + n, 4);
    EXPECT_EQ(data_crc, MaskCrc(Crc32c(data)));
    records.emplace_back(data);
    pos += 12 + n + 4;
  }
  ASSERT_EQ(records.size(), 3u);
  EXPECT_NE(records[0].find("brain.Event:2"), std::string::npos);
  EXPECT_NE(records[1].find("losses/alpha"), std::string::npos);
  const float value = 0.5f;
  EXPECT_NE(records[1].find(std::string(reinterpret_cast<const char*>(&value), 4)), std::string::npos);
  EXPECT_THROW(TensorBoardWriter(dir / "missing" / "dir"), Error);
  fs::remove_all(dir);
}

// Events of a file: the step of each record (0 for the file_version record).
std::vector<std::string> Records(const fs::path& path) {
  const std::string bytes = ReadFile(path);
  std::vector<std::string> records;
  for (std::size_t pos = 0; pos + 12 <= bytes.size();) {
    std::uint64_t n;
    std::memcpy(&n, bytes.data() + pos, 8);
    records.emplace_back(bytes.data() + pos + 12, n);
    pos += 12 + n + 4;
  }
  return records;
}

TEST(TrimEventFiles, KeepsEventsUpToTheStepDropsPartialRecordsAndEmptiedFiles) {
  const fs::path dir = FreshDir("tb_trim");
  fs::path first, second;
  {
    TensorBoardWriter w(dir);
    first = w.path();
    for (int step : {100, 200, 300}) w.AddScalar("losses/alpha", step, step, 1.7e9);
  }
  {
    TensorBoardWriter w(dir);
    second = w.path();
    w.AddScalar("losses/alpha", 400, 400, 1.7e9);
  }
  {
    std::ofstream out(first, std::ios::binary | std::ios::app);
    out << "\x30\x00\x00";  // a killed writer's partial record
  }
  ASSERT_EQ(Records(first).size(), 4u);
  run::TrimEventFiles(dir, 200);
  const auto kept = Records(first);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_NE(kept[0].find("brain.Event:2"), std::string::npos);
  const float v200 = 200.0f, v300 = 300.0f;
  EXPECT_NE(kept[2].find(std::string(reinterpret_cast<const char*>(&v200), 4)), std::string::npos);
  EXPECT_EQ(ReadFile(first).find(std::string(reinterpret_cast<const char*>(&v300), 4)), std::string::npos);
  EXPECT_FALSE(fs::exists(second));  // nothing left at or before step 200
  run::TrimEventFiles(dir, 200);          // idempotent
  EXPECT_EQ(Records(first).size(), 3u);
  {
    std::string bytes = ReadFile(first);
    bytes[bytes.size() - 1] ^= 0x55;  // break the last record's checksum
    WriteFileAtomically(first, bytes);
  }
  EXPECT_THROW(run::TrimEventFiles(dir, 200), Error);
  fs::remove_all(dir);
}

TEST(MetricsLogger, WritesCsvAndJsonLinesAndAppendsOnReopen) {
  const fs::path dir = FreshDir("metrics");
  {
    MetricsLogger log(dir);
    log.Log(100, {{"charts/episodic_return", -5.5}, {"losses/alpha", 0.25}});
  }
  {
    MetricsLogger log(dir);  // a resumed run continues the same files
    log.Log(200, {{"losses/nan", std::nan("")}});
    log.Flush();
  }
  std::ifstream csv(dir / "metrics.csv");
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(csv, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "step,tag,value,wall_time");
  EXPECT_THAT(lines[1], ::testing::StartsWith("100,charts/episodic_return,-5.5,"));
  EXPECT_THAT(lines[2], ::testing::StartsWith("100,losses/alpha,0.25,"));
  EXPECT_THAT(lines[3], ::testing::StartsWith("200,losses/nan,nan,"));
  std::ifstream jsonl(dir / "metrics.jsonl");
  std::vector<nlohmann::json> rows;
  while (std::getline(jsonl, line)) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["step"], 100);
  EXPECT_EQ(rows[0]["charts/episodic_return"], -5.5);
  EXPECT_TRUE(rows[1]["losses/nan"].is_null());
  int event_files = 0;
  for (const auto& e : fs::directory_iterator(dir)) event_files += e.path().filename().string().starts_with("events.out");
  EXPECT_EQ(event_files, 2);
  fs::remove_all(dir);
}

TEST(ProgressReporter, PlainLinesWhenNotATerminal) {
  std::FILE* f = std::tmpfile();
  ProgressReporter p(1000, 0, f, /*is_terminal=*/false, /*plain_every_seconds=*/0.0);
  p.Update(250, -120.5);
  p.Finish();
  const std::string out = ReadAll(f);
  std::fclose(f);
  EXPECT_THAT(out, HasSubstr("step 250/1000 (25%)"));
  EXPECT_THAT(out, HasSubstr("recent return -120.5"));
  EXPECT_THAT(out, HasSubstr("elapsed"));
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
}

TEST(ProgressReporter, ABarRedrawnInPlaceOnATerminal) {
  std::FILE* f = std::tmpfile();
  ProgressReporter p(100, 0, f, /*is_terminal=*/true);
  p.Update(1);  // too soon after the start: nothing drawn (at most 10 redraws per second)
  p.Finish();
  const std::string out = ReadAll(f);
  std::fclose(f);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\r'), 1);
  EXPECT_THAT(out, HasSubstr("[........................] 1/100"));
  EXPECT_THAT(out, ::testing::EndsWith("\n"));
}

TEST(AtomicFile, ReplacesContentLeavesNoTemporariesAndNamesThePath) {
  const fs::path dir = FreshDir("atomic");
  WriteFileAtomically(dir / "a.txt", "first");
  WriteFileAtomically(dir / "a.txt", "second");
  EXPECT_EQ(ReadFile(dir / "a.txt"), "second");
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1);
  EXPECT_THAT([&] { WriteFileAtomically(dir / "no" / "b.txt", "x"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("b.txt: cannot write")));
  EXPECT_THAT([&] { ReadFile(dir / "none.txt"); }, ::testing::ThrowsMessage<Error>(HasSubstr("none.txt: cannot read")));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cai::io
