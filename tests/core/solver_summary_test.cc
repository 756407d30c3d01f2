#include "cai/core/solver_summary.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace cai {
namespace {

TEST(SolverSummary, DefaultIsNotConvergedWithoutResidualOrBound) {
  const SolverSummary s;
  EXPECT_EQ(s.termination, TerminationType::kNoConvergence);
  EXPECT_FALSE(s.converged);
  EXPECT_EQ(s.iterations, 0);
  EXPECT_TRUE(std::isnan(s.final_residual));
  EXPECT_TRUE(std::isnan(s.error_bound));
  EXPECT_EQ(s.BriefReport(), "termination: no convergence, iterations: 0");
}

TEST(SolverSummary, FinishSetsConvergedFromTheTerminationType) {
  SolverSummary s;
  s.Finish(TerminationType::kConverged, "done");
  EXPECT_TRUE(s.converged);
  EXPECT_EQ(s.message, "done");
  s.Finish(TerminationType::kBudgetReached, "ran");
  EXPECT_TRUE(s.converged);
  EXPECT_EQ(s.termination, TerminationType::kBudgetReached);
  s.Finish(TerminationType::kNoConvergence, "cap");
  EXPECT_FALSE(s.converged);
  s.Finish(TerminationType::kFailure, "broke");
  EXPECT_FALSE(s.converged);
  EXPECT_EQ(s.message, "broke");
}

TEST(SolverSummary, TerminationTypeNames) {
  EXPECT_STREQ(TerminationTypeName(TerminationType::kConverged), "converged");
  EXPECT_STREQ(TerminationTypeName(TerminationType::kNoConvergence), "no convergence");
  EXPECT_STREQ(TerminationTypeName(TerminationType::kBudgetReached), "budget reached");
  EXPECT_STREQ(TerminationTypeName(TerminationType::kFailure), "failure");
  EXPECT_TRUE(IsNormalTermination(TerminationType::kConverged));
  EXPECT_TRUE(IsNormalTermination(TerminationType::kBudgetReached));
  EXPECT_FALSE(IsNormalTermination(TerminationType::kNoConvergence));
  EXPECT_FALSE(IsNormalTermination(TerminationType::kFailure));
}

TEST(SolverSummary, BriefReportIsOneLineWithWhatTheSolverHas) {
  SolverSummary s;
  s.iterations = 64;
  s.final_residual = 1.0612e-11;
  s.error_bound = 9.5412e-11;
  s.Finish(TerminationType::kConverged, "converged after 64 sweeps");
  EXPECT_EQ(s.BriefReport(),
            "converged after 64 sweeps; termination: converged, iterations: 64, final residual: 1.06e-11, "
            "error bound: 9.54e-11");
  EXPECT_EQ(s.BriefReport().find('\n'), std::string::npos);

  // No error bound (NaN): not reported; an infinite one is.
  s.error_bound = std::numeric_limits<double>::quiet_NaN();
  s.Finish(TerminationType::kNoConvergence, "max_iterations reached");
  EXPECT_EQ(s.BriefReport(),
            "max_iterations reached; termination: no convergence, iterations: 64, final residual: 1.06e-11");
  s.error_bound = std::numeric_limits<double>::infinity();
  EXPECT_EQ(s.BriefReport(),
            "max_iterations reached; termination: no convergence, iterations: 64, final residual: 1.06e-11, "
            "error bound: inf");

  // Neither residual nor message.
  SolverSummary budget;
  budget.iterations = 2;
  budget.Finish(TerminationType::kBudgetReached, {});
  EXPECT_EQ(budget.BriefReport(), "termination: budget reached, iterations: 2");
}

}  // namespace
}  // namespace cai
