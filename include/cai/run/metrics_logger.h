// A run's metrics, to three sinks in its directory: metrics.csv (long format: step,tag,value,wall_time),
// metrics.jsonl (one object per Log call) and a TensorBoard event file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string_view>
#include <utility>

#include "cai/run/tensorboard_writer.h"

namespace cai::run {

class MetricsLogger {
 public:
  /// Opens (appending) metrics.csv and metrics.jsonl in `dir` and starts a new event file. A CSV
  /// header is written only to a new file, so a resumed run continues the same files.
  explicit MetricsLogger(const std::filesystem::path& dir);
  ~MetricsLogger();
  MetricsLogger(const MetricsLogger&) = delete;
  MetricsLogger& operator=(const MetricsLogger&) = delete;

  /// One row per scalar in the CSV, one JSON object {"step", "wall_time", tag: value...} per call,
  /// one TensorBoard scalar per pair. Non-finite values are "nan"/"inf" in the CSV and null in JSON.
  void Log(std::int64_t step, std::span<const std::pair<std::string_view, double>> scalars);
  void Log(std::int64_t step, std::initializer_list<std::pair<std::string_view, double>> scalars) {
    Log(step, std::span<const std::pair<std::string_view, double>>(scalars.begin(), scalars.size()));
  }
  /// Pushes all three sinks to the operating system.
  void Flush();

 private:
  std::FILE* csv_ = nullptr;
  std::FILE* jsonl_ = nullptr;
  TensorBoardWriter tensorboard_;
};

}  // namespace cai::run
