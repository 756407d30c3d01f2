#include "cai/rl/tabular_soft_q.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/mdp/builtins.h"

namespace cai::rl {
namespace {

double SupError(const std::vector<double>& a, const std::vector<double>& b) {
  double e = 0;
  for (std::size_t i = 0; i < a.size(); ++i) e = std::max(e, std::abs(a[i] - b[i]));
  return e;
}

// Soft Q-learning from samples against soft value iteration on the same problem (the exact
// dynamic-programming solution of the same ELBO).
double ErrorAgainstSoftVi(const Mdp& mdp, const TabularSoftQOptions& o) {
  SoftValueIterationOptions vi;
  static_cast<SoftBellmanParams&>(vi) = o.problem;
  const auto exact = SolveSoftValueIteration(mdp, vi);
  EXPECT_TRUE(exact.summary.converged);
  const auto learned = TabularSoftQLearning(mdp, o);
  return SupError(learned.q, exact.solution.q_values);
}

TEST(TabularSoftQ, ConvergesToSoftValueIterationOnASlipperyGridworld) {
  // The error shrinks with the number of samples (step sizes (1 + n)^-0.7 trade the noise of the
  // bootstrapped targets, amplified up to 1 / (1 - discount), against slow propagation), and is
  // below 0.1 (values here span about 2) after 2 million transitions.
  const Mdp mdp = MakeGridworld({.width = 4, .height = 4, .slip = 0.2});
  TabularSoftQOptions o;
  o.problem.temperature = 0.5;
  o.problem.discount = 0.9;
  o.seed = 1;
  o.steps = 200'000;
  const double early = ErrorAgainstSoftVi(mdp, o);
  o.steps = 2'000'000;
  const double error = ErrorAgainstSoftVi(mdp, o);
  std::printf("gridworld 4x4, slip 0.2: sup |Q - Q*| = %.4f after 2e5 steps, %.4f after 2e6\n", early, error);
  EXPECT_LT(error, 0.1);
  EXPECT_LT(error, 0.5 * early);
}

TEST(TabularSoftQ, ConvergesToSoftValueIterationOnRandomMdpsWithPriors) {
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    const Mdp mdp = MakeRandomMdp({.num_states = 6, .num_actions = 3, .branching = 3, .seed = seed});
    TabularSoftQOptions o;
    o.problem.temperature = 0.3;
    o.problem.discount = 0.8;
    if (seed == 2) {  // a KL-regularised objective: a non-uniform action prior
      std::vector<double> table;
      for (int s = 0; s < 6; ++s) table.insert(table.end(), {0.6, 0.3, 0.1});
      o.problem.prior = ActionPrior::Table(6, 3, table);
    }
    o.steps = 1'000'000;
    o.seed = seed;
    const double error = ErrorAgainstSoftVi(mdp, o);
    std::printf("random MDP seed %llu: sup |Q - Q*| = %.4f\n", static_cast<unsigned long long>(seed), error);
    EXPECT_LT(error, 0.03) << "seed " << seed;
  }
}

TEST(TabularSoftQ, SameSeedSameTableAndOptionsAreValidated) {
  const Mdp mdp = MakeRandomMdp({.num_states = 4, .num_actions = 2, .seed = 9});
  TabularSoftQOptions o;
  o.steps = 5000;
  EXPECT_EQ(TabularSoftQLearning(mdp, o).q, TabularSoftQLearning(mdp, o).q);
  TabularSoftQOptions bad = o;
  bad.problem.backup = Backup::kExact;
  EXPECT_THAT([&] { TabularSoftQLearning(mdp, bad); }, ::testing::ThrowsMessage<Error>(::testing::HasSubstr("backup: exact")));
  bad = o;
  bad.lr_decay = 0.5;
  EXPECT_THAT([&] { TabularSoftQLearning(mdp, bad); }, ::testing::ThrowsMessage<Error>(::testing::HasSubstr("lr_decay: 0.5")));
  bad = o;
  bad.epsilon = 1.5;
  EXPECT_THROW(TabularSoftQLearning(mdp, bad), Error);
}

}  // namespace
}  // namespace cai::rl
