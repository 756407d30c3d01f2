#include "cai/run/progress.h"

#include <unistd.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

namespace cai::run {
namespace {

std::string Duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

}  // namespace

ProgressReporter::ProgressReporter(std::int64_t total_steps, std::int64_t start_step, std::FILE* out,
                                   std::optional<bool> is_terminal, double plain_every_seconds)
    : total_(total_steps),
      start_(start_step),
      out_(out),
      terminal_(is_terminal.value_or(::isatty(::fileno(out)) != 0)),
      plain_every_(plain_every_seconds),
      t0_(std::chrono::steady_clock::now()),
      last_print_(t0_),
      last_step_(start_step) {}

void ProgressReporter::Update(std::int64_t step, std::optional<double> recent_return) {
  last_step_ = step;
  if (recent_return) recent_return_ = recent_return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (since >= (terminal_ ? 0.1 : plain_every_)) {
    last_print_ = now;
    Print(step, false);
  }
}

void ProgressReporter::Finish() {
  if (finished_) return;
  finished_ = true;
  Print(last_step_, true);
}

void ProgressReporter::Print(std::int64_t step, bool final) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  const double sps = elapsed > 0 ? static_cast<double>(step - start_) / elapsed : 0.0;
  const double eta = sps > 0 ? static_cast<double>(total_ - step) / sps : NAN;
  const std::string ret = recent_return_ ? fmt::format("{:.1f}", *recent_return_) : std::string("-");
  const double frac = total_ > 0 ? static_cast<double>(step) / static_cast<double>(total_) : 1.0;
  if (terminal_) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(frac * kWidth);
    const std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
    fmt::print(out_, "\r[{}] {}/{} {:.0f} steps/s return {} ETA {}\033[K{}", bar, step, total_, sps, ret,
               Duration(eta), final ? "\n" : "");
  } else {
    fmt::print(out_, "step {}/{} ({:.0f}%), {:.0f} steps/s, recent return {}, {} {}\n", step, total_, 100 * frac, sps,
               ret, final ? "elapsed" : "ETA", final ? Duration(elapsed) : Duration(eta));
  }
  std::fflush(out_);
}

}  // namespace cai::run
