#include "cai/core/options.h"

#include <cmath>

namespace cai {

void ThrowInvalidOption(OptionProblem problem, const std::string& qualifier) {
  std::string message =
      qualifier.empty()
          ? fmt::format("{}: {} is invalid (expected {})", problem.field, problem.value, problem.expected)
          : fmt::format("{}.{} = {}; expected {}", qualifier, problem.field, problem.value, problem.expected);
  throw OptionError(message, std::move(problem), qualifier);
}

OptionRule<double> FinitePositive(std::string expected) {
  return {[](const double& v) { return std::isfinite(v) && v > 0.0; }, std::move(expected)};
}

OptionRule<double> FiniteNonNegative(std::string expected) {
  return {[](const double& v) { return std::isfinite(v) && v >= 0.0; }, std::move(expected)};
}

namespace detail {

std::int64_t JsonInteger(const nlohmann::json& v, std::int64_t lo, std::int64_t hi, std::optional<OptionProblem>& p) {
  if (!v.is_number_integer()) {
    p = OptionProblem{"", v.dump(), "an integer"};
    return 0;
  }
  const bool too_big = v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi);
  const auto x = too_big ? hi : v.get<std::int64_t>();
  if (too_big || x < lo || x > hi) {
    p = OptionProblem{"", v.dump(), fmt::format("an integer in [{}, {}]", lo, hi)};
    return 0;
  }
  return x;
}

}  // namespace detail
}  // namespace cai
