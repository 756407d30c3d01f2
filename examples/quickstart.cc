// The README's library example: soft value iteration on a slippery gridworld.
#include <cstdio>

#include "cai/inference/soft_value_iteration.h"
#include "cai/mdp/builtins.h"

int main() {
  cai::Mdp mdp = cai::MakeGridworld({.width = 8, .height = 8, .slip = 0.2});
  cai::SoftValueIterationOptions options;
  options.temperature = 0.1;                    // alpha
  options.discount = 0.95;                      // gamma
  options.backup = cai::Backup::kVariational;   // or kExact
  options.prior = cai::ActionPrior::Uniform();  // None(), Uniform(), Table(S, A, probs)
  auto [solution, summary] = cai::SolveSoftValueIteration(mdp, options);
  std::printf("%s; V(start) = %.6f, pi(right | start) = %.4f, error bound %.2g\n",
              summary.message.c_str(), solution.V(0), solution.Pi(0, 3), summary.error_bound);
  return summary.converged ? 0 : 1;
}
