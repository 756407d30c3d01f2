// Errors for bad user input (files, flags, options, API arguments).
#pragma once

#include <stdexcept>
#include <string>

namespace cai {

/// Thrown when user input is invalid: the message names the field, the value and what was
/// expected. Internal invariants use assertions instead (the two error tiers of
/// docs/architecture.md).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace cai
