#include "cai/run/metrics_logger.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"

namespace cai::run {
namespace {

std::FILE* OpenAppend(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (f == nullptr) throw Error(fmt::format("{}: cannot open for writing ({})", path.string(), std::strerror(errno)));
  return f;
}

}  // namespace

MetricsLogger::MetricsLogger(const std::filesystem::path& dir) : tensorboard_(dir) {
  const auto csv_path = dir / "metrics.csv";
  const bool fresh = !std::filesystem::exists(csv_path) || std::filesystem::file_size(csv_path) == 0;
  csv_ = OpenAppend(csv_path);
  jsonl_ = OpenAppend(dir / "metrics.jsonl");
  if (fresh) std::fputs("step,tag,value,wall_time\n", csv_);
}

MetricsLogger::~MetricsLogger() {
  if (csv_ != nullptr) std::fclose(csv_);
  if (jsonl_ != nullptr) std::fclose(jsonl_);
}

void MetricsLogger::Log(std::int64_t step, std::span<const std::pair<std::string_view, double>> scalars) {
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json row = {{"step", step}, {"wall_time", now}};
  for (const auto& [tag, value] : scalars) {
    fmt::print(csv_, "{},{},{},{:.3f}\n", step, tag, value, now);
    row[std::string(tag)] = std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
    tensorboard_.AddScalar(tag, value, step, now);
  }
  std::fputs((row.dump() + "\n").c_str(), jsonl_);
}

void MetricsLogger::Flush() {
  std::fflush(csv_);
  std::fflush(jsonl_);
  tensorboard_.Flush();
}

}  // namespace cai::run
