#include "cai/core/options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace cai {

void ThrowInvalidOption(OptionProblem problem, const std::string& qualifier) {
  std::string message =
      qualifier.empty()
          ? fmt::format("{}: {} is invalid (expected {})", problem.field, problem.value, problem.expected)
          : fmt::format("{}.{}: {} is invalid (expected {})", qualifier, problem.field, problem.value, problem.expected);
  throw OptionError(message, std::move(problem), qualifier);
}

OptionRule<int> AtLeastOne() { return AtLeast(1, "an integer >= 1"); }

OptionRule<double> FinitePositive(std::string expected) {
  return {[](const double& v) { return std::isfinite(v) && v > 0.0; }, std::move(expected)};
}

OptionRule<double> FiniteNonNegative(std::string expected) {
  return {[](const double& v) { return std::isfinite(v) && v >= 0.0; }, std::move(expected)};
}

namespace {

[[noreturn]] void NotA(std::string_view flag, std::string_view text, std::string_view what) {
  throw Error(fmt::format("{}: \"{}\" is invalid (expected {})", flag, text, what));
}

nlohmann::json Number(std::string_view flag, const std::string& text, std::string_view what) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) NotA(flag, text, what);
  return v;
}

template <typename I>
nlohmann::json Integer(std::string_view flag, const std::string& text, std::string_view what) {
  I v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) NotA(flag, text, what);
  return v;
}

}  // namespace

nlohmann::json OptionFromText(const OptionInfo& field, const std::vector<std::string>& items, std::string_view flag) {
  const std::string text = items.empty() ? "" : items.front();
  switch (field.kind) {
    case OptionKind::kInt:
    case OptionKind::kInt64: return Integer<std::int64_t>(flag, text, "an integer");
    case OptionKind::kUnsigned: return Integer<std::uint64_t>(flag, text, "an integer >= 0");
    case OptionKind::kNumber:
    case OptionKind::kOptionalNumber: return Number(flag, text, "a number");
    case OptionKind::kNumbers:
    case OptionKind::kLayerSizes: {
      nlohmann::json out = nlohmann::json::array();
      for (const std::string& item : items) {
        if (item.empty() && items.size() == 1) break;  // "": none
        out.push_back(field.kind == OptionKind::kNumbers ? Number(flag, item, "comma-separated numbers")
                                                         : Integer<std::int64_t>(flag, item, "comma-separated layer sizes, e.g. 64,64"));
      }
      return out;
    }
    case OptionKind::kChoice:
    case OptionKind::kString:
    case OptionKind::kBool: break;
  }
  return text;
}

std::string OptionDefaultText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "none";
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) {
      // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on "," + std::string&&.
      if (!s.empty()) s.push_back(',');
      s.append(OptionDefaultText(x));
    }
    return s.empty() ? "none" : s;
  }
  return v.dump();
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
