// Progress of a training run on a terminal (a bar redrawn in place) or in a log (plain lines).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace cai::run {

class ProgressReporter {
 public:
  /// `is_terminal` defaults to isatty(out). On a terminal a single line with a bar, steps, steps
  /// per second, the latest episodic return and the ETA is redrawn at most 10 times per second;
  /// otherwise a plain line is printed every `plain_every_seconds` and at Finish.
  ProgressReporter(std::int64_t total_steps, std::int64_t start_step = 0, std::FILE* out = stderr,
                   std::optional<bool> is_terminal = std::nullopt, double plain_every_seconds = 10.0);
  void Update(std::int64_t step, std::optional<double> recent_return = std::nullopt);
  void Finish();

 private:
  void Print(std::int64_t step, bool final);
  std::int64_t total_, start_;
  std::FILE* out_;
  bool terminal_;
  double plain_every_;
  std::chrono::steady_clock::time_point t0_, last_print_;
  std::int64_t last_step_ = 0;
  std::optional<double> recent_return_;
  bool finished_ = false;
};

}  // namespace cai::run
