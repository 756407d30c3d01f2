// cai mdp: validate, describe and convert MDPs; cai sample: trajectories from the soft policy.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/inference/trajectory_sampling.h"
#include "cai/mdp/action_prior.h"
#include "cai/mdp/builtins.h"
#include "cai/mdp/mdp_json.h"
#include "commands.h"
#include "problem_flags.h"

namespace cai::cli {
namespace {

struct MdpArgs {
  ProblemSource source;
  std::string out;
  bool list = false;
};

void RunMdp(const MdpArgs& args) {
  if (args.list) {
    std::cout << DescribeBuiltins();
    return;
  }
  const Mdp mdp = args.source.Load();
  std::int64_t terminal = 0;
  for (int s = 0; s < mdp.num_states(); ++s) {
    for (int a = 0; a < mdp.num_actions(); ++a) terminal += mdp.IsTerminal(s, a) ? 1 : 0;
  }
  std::cout << fmt::format(
      "valid {}: {} states, {} actions, {} successor entries, {} terminal (s, a){}\n", kMdpFormat,
      mdp.num_states(), mdp.num_actions(), mdp.num_transitions(), terminal,
      mdp.grid() ? fmt::format(", grid {} x {}", mdp.grid()->width, mdp.grid()->height) : "");
  if (!args.out.empty()) {
    SaveMdp(mdp, args.out);
    std::cout << fmt::format("wrote {}\n", args.out);
  }
}

struct SampleArgs {
  ProblemSource source;
  double temperature = 1.0;
  HorizonOrDiscount h;
  std::string backup = "variational";
  std::string prior = "none";
  int episodes = 10;
  int max_steps = 100;
  std::int64_t seed = 0;
};

void RunSample(const SampleArgs& args) {
  const Mdp mdp = args.source.Load();
  SoftBellmanParams params;
  params.temperature = args.temperature;
  params.backup = ParseBackup(args.backup);
  params.prior = ParseActionPrior(args.prior);
  const std::vector<double> policy = SoftOptimalPolicy(mdp, params, args.h);
  const int max_steps = args.h.finite() ? args.h.horizon : args.max_steps;
  Rng rng(static_cast<std::uint64_t>(args.seed));
  for (int e = 0; e < args.episodes; ++e) {
    const Trajectory tr = SampleTrajectory(mdp, policy, max_steps, rng);
    nlohmann::json line = {{"states", tr.states},
                           {"actions", tr.actions},
                           {"rewards", tr.rewards},
                           {"ended", tr.ended}};
    std::cout << line.dump() << "\n";
  }
}

}  // namespace

void AddMdpCommands(CLI::App& app) {
  auto margs = std::make_shared<MdpArgs>();
  CLI::App* mdp = app.add_subcommand("mdp", "validate an MDP file or a built-in; write it as cai.mdp/1");
  margs->source.AddFlags(*mdp);
  mdp->add_option("--out", margs->out, "write the MDP to this cai.mdp/1 file");
  mdp->add_flag("--list", margs->list, "list the built-in problems and their parameters");
  mdp->callback([margs]() { RunMdp(*margs); });

  auto sargs = std::make_shared<SampleArgs>();
  CLI::App* sample = app.add_subcommand(
      "sample", "sample trajectories from the soft-optimal policy (JSON Lines on stdout)");
  sargs->source.AddFlags(*sample);
  sample->add_option("--temperature", sargs->temperature, "alpha >= 0 (1)");
  sargs->h.AddFlags(*sample, "gamma in [0, 1]", "finite horizon T >= 1");
  sample->add_option("--backup", sargs->backup, "variational (default) or exact");
  sample->add_option("--prior", sargs->prior, "none (default), uniform or a cai.prior/1 file");
  sample->add_option("--episodes", sargs->episodes, "number of trajectories (10)");
  sample->add_option("--max-steps", sargs->max_steps, "step limit per trajectory when discounted (100)");
  sample->add_option("--seed", sargs->seed, "random seed (0)");
  sample->callback([sargs]() {
    sargs->h.Check("sample: give --discount G or --horizon T");
    if (sargs->episodes < 1) throw Error(fmt::format("--episodes: {} is invalid (expected >= 1)", sargs->episodes));
    if (sargs->max_steps < 1) throw Error(fmt::format("--max-steps: {} is invalid (expected >= 1)", sargs->max_steps));
    if (sargs->seed < 0) throw Error(fmt::format("--seed: {} is invalid (expected >= 0)", sargs->seed));
    RunSample(*sargs);
  });
}

}  // namespace cai::cli
