// cai compare: exact soft value iteration and the approximate solvers side by side on one MDP.
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/rl/solver_comparison.h"
#include "commands.h"

namespace cai::cli {
namespace {

struct CompareArgs {
  ProblemSource source;
  rl::SolverComparisonOptions o;
  bool json = false;
  bool values = false;
};

}  // namespace

void AddCompareCommand(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "exact soft value iteration vs soft Q-learning, MaxEnt policy gradient, soft DQN and actor-critic");
  args->source.AddFlags(*cmd);
  auto& o = args->o;
  cmd->add_option("--temperature", o.temperature, "temperature alpha > 0")->capture_default_str();
  cmd->add_option("--discount", o.discount, "discount in (0, 1)")->capture_default_str();
  cmd->add_option("--seed", o.seed, "seed of every sampling solver")->capture_default_str();
  cmd->add_option("--soft-q-steps", o.soft_q_steps, "tabular soft Q-learning transitions")->capture_default_str();
  cmd->add_option("--pg-iterations", o.policy_gradient_iterations, "REINFORCE ascent steps")->capture_default_str();
  cmd->add_option("--pg-episodes", o.policy_gradient_episodes, "episodes per REINFORCE estimate")->capture_default_str();
  cmd->add_option("--pg-learning-rate", o.policy_gradient_learning_rate, "REINFORCE step size")->capture_default_str();
  cmd->add_option("--dqn-steps", o.soft_dqn_steps, "soft DQN environment steps")->capture_default_str();
  cmd->add_option("--ac-steps", o.actor_critic_steps, "actor-critic environment steps")->capture_default_str();
  cmd->add_option("--max-episode-steps", o.max_episode_steps, "time limit of sampled episodes")->capture_default_str();
  cmd->add_flag("--values", args->values, "also print V(s) of every solver, state by state");
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args]() {
    rl::ValidateSolverComparisonOptions(args->o);
    const Mdp mdp = args->source.Load();
    const rl::SolverComparison c = rl::CompareSolvers(mdp, args->o);
    if (args->json) {
      nlohmann::json j = {{"temperature", args->o.temperature},
                          {"discount", args->o.discount},
                          {"optimal_objective", c.optimal_objective}};
      for (const rl::SolverAnswer& a : c.answers) {
        j["solvers"].push_back({{"name", a.name},
                                {"method", a.method},
                                {"V", a.values},
                                {"policy", a.policy},
                                {"value_error", a.value_error},
                                {"policy_error", a.policy_error},
                                {"objective", a.objective},
                                {"seconds", a.seconds}});
      }
      std::printf("%s\n", j.dump().c_str());
      return;
    }
    std::printf("temperature %g, discount %g, %d states x %d actions; optimal objective d0 . V* = %.4f\n\n",
                args->o.temperature, args->o.discount, mdp.num_states(), mdp.num_actions(), c.optimal_objective);
    std::printf("%-24s %14s %16s %12s %9s\n", "solver", "max|V - V*|", "max|pi - pi*|", "objective", "seconds");
    for (const rl::SolverAnswer& a : c.answers) {
      std::printf("%-24s %14.4f %16.4f %12.4f %9.2f\n", a.name.c_str(), a.value_error, a.policy_error, a.objective,
                  a.seconds);
    }
    if (args->values) {
      std::printf("\n%-8s", "state");
      for (const rl::SolverAnswer& a : c.answers) std::printf(" %12.12s", a.name.c_str());
      std::printf("\n");
      for (int s = 0; s < mdp.num_states(); ++s) {
        std::printf("%-8s", mdp.StateName(s).c_str());
        for (const rl::SolverAnswer& a : c.answers) std::printf(" %12.4f", a.values[s]);
        std::printf("\n");
      }
    }
  });
}

}  // namespace cai::cli
