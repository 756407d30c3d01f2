// Solves the lesson's two-action example through the installed cai package.
#include <cmath>
#include <cstdio>

#include "cai/inference/soft_value_iteration.h"
#include "cai/mdp/builtins.h"

int main() {
  cai::SoftValueIterationOptions options;
  options.temperature = 1.0;
  options.discount = 0.9;
  const auto [solution, summary] =
      cai::SolveSoftValueIteration(cai::MakeTwoActionExample(), options);
  std::printf("V = %.4f, pi = %.4f / %.4f\n", solution.V(0), solution.Pi(0, 0), solution.Pi(0, 1));
  return std::abs(solution.V(0) - std::log(std::exp(1.0) + 1.0)) < 1e-12 ? 0 : 1;
}
