#include "cai/align/demonstration_prior.h"

#include <cmath>

#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"
#include "cai/inference/finite_horizon.h"

namespace cai::align {
namespace {

Mdp Bandit(const std::vector<double>& r) {
  MdpSpec spec;
  spec.num_states = 1;
  spec.num_actions = static_cast<int>(r.size());
  spec.rewards = {r};
  return Mdp::FromSpec(spec);
}

std::vector<double> SolveOneStep(const Mdp& mdp, double temperature, const ActionPrior& prior) {
  FiniteHorizonOptions o;
  o.temperature = temperature;
  o.horizon = 1;
  o.prior = prior;
  return SolveFiniteHorizon(mdp, o).policy;
}

TEST(DemonstrationPrior, BehaviourCloningIsSmoothedCounts) {
  Trajectory a;
  a.states = {0, 1, 0, 0};
  a.actions = {2, 1, 2, 0};
  Trajectory b;
  b.states = {0, 1};
  b.actions = {2, 0};
  const std::vector<Trajectory> demos{a, b};
  const ActionPrior ml = BehaviourCloningPrior(3, 3, demos, 0.0);
  // State 0: actions 2, 2, 0, 2 -> (1/4, 0, 3/4); state 1: (1/2, 1/2, 0); state 2 unvisited -> uniform.
  const std::vector<double> expected{0.25, 0.0, 0.75, 0.5, 0.5, 0.0, 1.0 / 3, 1.0 / 3, 1.0 / 3};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(ml.table()[i], expected[i], 1e-15) << i;
  const ActionPrior smooth = BehaviourCloningPrior(3, 3, demos, 1.0);
  EXPECT_NEAR(smooth.table()[1], 1.0 / 7, 1e-15);  // (0 + 1) / (4 + 3)
  EXPECT_NEAR(smooth.table()[5], 1.0 / 5, 1e-15);  // (0 + 1) / (2 + 3)
  EXPECT_THROW(BehaviourCloningPrior(3, 3, demos, -1.0), Error);
  EXPECT_THROW(BehaviourCloningPrior(1, 3, demos, 0.0), Error);  // state 1 out of range
}

// Transfer on a one-step problem: task 1's soft-optimal policy as the prior of task 2 gives the
// soft-optimal policy of the summed reward.
TEST(DemonstrationPrior, TransferredPolicyPriorComposesRewards) {
  const std::vector<double> r1{1.0, 0.0, -1.0};
  const std::vector<double> r2{-0.5, 0.7, 0.2};
  for (double temperature : {0.3, 1.0, 4.0}) {
    const std::vector<double> pi1 = SolveOneStep(Bandit(r1), temperature, ActionPrior::Uniform());
    const std::vector<double> pi2 = SolveOneStep(Bandit(r2), temperature, PolicyPrior(1, 3, pi1, 0.0));
    std::vector<double> sum{r1[0] + r2[0], r1[1] + r2[1], r1[2] + r2[2]};
    std::vector<double> expected(3);
    SoftArgMax(sum, temperature, {}, expected);
    for (int a = 0; a < 3; ++a) EXPECT_NEAR(pi2[static_cast<std::size_t>(a)], expected[static_cast<std::size_t>(a)], 1e-14);
  }
  const ActionPrior mixed = PolicyPrior(1, 3, std::vector<double>{1.0, 0.0, 0.0}, 0.3);
  EXPECT_NEAR(mixed.table()[1], 0.1, 1e-15);
  EXPECT_THROW(PolicyPrior(1, 3, std::vector<double>{1.0, 0.0, 0.0}, 1.5), Error);
}

}  // namespace
}  // namespace cai::align
