#include "cai/core/solver_summary.h"

#include <cmath>
#include <utility>

#include <fmt/format.h>

namespace cai {

const char* TerminationTypeName(TerminationType type) {
  switch (type) {
    case TerminationType::kConverged: return "converged";
    case TerminationType::kNoConvergence: return "no convergence";
    case TerminationType::kBudgetReached: return "budget reached";
    case TerminationType::kFailure: return "failure";
  }
  return "unknown";
}

void SolverSummary::Finish(TerminationType type, std::string text) {
  termination = type;
  converged = IsNormalTermination(type);
  message = std::move(text);
}

std::string SolverSummary::BriefReport() const {
  std::string line = message.empty() ? std::string() : message + "; ";
  line += fmt::format("termination: {}, iterations: {}", TerminationTypeName(termination), iterations);
  if (!std::isnan(final_residual)) line += fmt::format(", final residual: {:.3g}", final_residual);
  if (!std::isnan(error_bound)) line += fmt::format(", error bound: {:.3g}", error_bound);
  return line;
}

}  // namespace cai
