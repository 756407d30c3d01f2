// CompareSolvers: the exact column is soft value iteration itself; every approximate solver lands
// near it on a small gridworld; and no solver's policy has a higher true objective than the
// soft-optimal policy (the exact answer maximises the objective: a second, independent check).
#include "cai/rl/solver_comparison.h"

#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/mdp/builtins.h"

namespace cai::rl {
namespace {

TEST(SolverComparison, ApproximateSolversLandNearTheExactSolution) {
  const Mdp mdp = MakeGridworld({.width = 3, .height = 3, .slip = 0.1});
  SolverComparisonOptions o;
  o.temperature = 0.5;
  o.discount = 0.9;
  o.soft_q_steps = 200'000;
  o.policy_gradient_iterations = 200;
  o.soft_dqn_steps = 30'000;
  o.actor_critic_steps = 200'000;
  const SolverComparison c = CompareSolvers(mdp, o);
  ASSERT_EQ(c.answers.size(), 5u);
  EXPECT_EQ(c.answers[0].value_error, 0.0);
  EXPECT_EQ(c.answers[0].policy_error, 0.0);
  for (const SolverAnswer& a : c.answers) {
    std::printf("%-24s max|V - V*| %.4f  max|pi - pi*| %.4f  objective %.5f (optimal %.5f)\n", a.name.c_str(),
                a.value_error, a.policy_error, a.objective, c.optimal_objective);
    // V* is about 5.7 here; measured errors 0.006-0.080 (values), 0.016-0.042 (policies).
    EXPECT_LT(a.value_error, 0.15) << a.name;
    EXPECT_LT(a.policy_error, 0.1) << a.name;
    EXPECT_LE(a.objective, c.optimal_objective + 1e-9) << a.name;
    double sum = 0;
    for (int k = 0; k < mdp.num_actions(); ++k) sum += a.policy[k];
    EXPECT_NEAR(sum, 1.0, 1e-6) << a.name;
  }
}

TEST(SolverComparison, RejectsBadOptions) {
  const Mdp mdp = MakeBandit({1.0, 0.0});
  SolverComparisonOptions o;
  o.temperature = 0;
  EXPECT_THROW(CompareSolvers(mdp, o), Error);
  o = {};
  o.discount = 1.0;
  EXPECT_THROW(CompareSolvers(mdp, o), Error);
  o = {};
  o.soft_dqn_steps = 0;
  EXPECT_THROW(CompareSolvers(mdp, o), Error);
}

}  // namespace
}  // namespace cai::rl
