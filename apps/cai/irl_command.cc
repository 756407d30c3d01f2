// cai irl: MaxEnt / maximum-causal-entropy inverse RL; cai demos: sample expert demonstrations.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/io/gridworld_svg.h"
#include "cai/irl/demonstrations.h"
#include "cai/irl/irl_fitter.h"
#include "cai/irl/maxent_irl.h"
#include "cai/mdp/builtins.h"
#include "cai/mdp/features.h"
#include "cai/mdp/mdp_json.h"
#include "cai/run/run_directory.h"
#include "commands.h"
#include "problem_flags.h"

namespace cai::cli {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProblemSource, mdp_file, builtin, params)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(HorizonOrDiscount, horizon, discount)

namespace {

struct DemosArgs {
  ProblemSource source;
  HorizonOrDiscount h;
  double temperature = 1.0;
  std::string backup = "variational";
  int count = 16;
  int length = 0;
  std::uint64_t seed = 0;
  std::string out;
};

void RunDemos(const DemosArgs& args) {
  if (!(std::isfinite(args.temperature) && args.temperature > 0.0)) {
    throw Error(fmt::format("--temperature: {} is invalid (expected a finite number > 0)",
                            args.temperature));
  }
  if (args.count < 1) throw Error(fmt::format("--count: {} is invalid (expected >= 1)", args.count));
  const Mdp mdp = args.source.Load();
  int length = args.length;
  if (args.h.horizon > 0) {
    if (length != 0 && length != args.h.horizon) {
      throw Error(fmt::format("--length: {} differs from --horizon {} (a finite-horizon expert "
                              "acts for exactly the horizon)", length, args.h.horizon));
    }
    length = args.h.horizon;
  } else if (length < 1) {
    throw Error(fmt::format("--length: {} is invalid (expected an integer >= 1 with --discount)",
                            length));
  }
  SoftBellmanParams params;
  params.temperature = args.temperature;
  params.backup = ParseBackup(args.backup);
  const auto policy = SoftOptimalPolicy(mdp, params, args.h);
  const auto demos = SampleDemonstrations(mdp, policy, args.count, length, args.seed);
  SaveDemonstrations(demos, args.out);
  std::cout << fmt::format("wrote {} demonstrations of up to {} steps to {}\n", demos.size(),
                           length, args.out);
}

struct IrlArgs {
  ProblemSource source;
  std::string features;
  std::string demos;
  HorizonOrDiscount h;
  std::string method = "mce";
  double temperature = 1.0;
  double l2 = 0.0;
  std::string optimizer = "lbfgs";
  int iterations = 1000;
  double learning_rate = 0.05;
  double gradient_tolerance = 1e-6;
  std::string out;
  std::string resume;
  int checkpoint_every = 10;
  int log_every = 1;
  bool json = false;
};

constexpr const char* kIrlMissingHorizon = "irl: give either --horizon T (finite horizon) or --discount G (discounted)";

// Flags that define the run: fixed once a run directory exists.
const char* const kIrlRunFlags[] = {"--mdp", "--builtin", "--param", "--features", "--demos", "--horizon",
                                    "--discount", "--method", "--temperature", "--l2", "--optimizer",
                                    "--iterations", "--learning-rate", "--gradient-tolerance", "--out",
                                    "--checkpoint-every", "--log-every"};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(IrlArgs, source, features, demos, h, method, temperature, l2, optimizer, iterations,
                                   learning_rate, gradient_tolerance)

// config.json of an IRL run (the run layer adds "run"), the run-defining flags; file paths are made
// absolute so that the run can be resumed from any directory.
nlohmann::json IrlConfig(IrlArgs a) {
  for (std::string* path : {&a.source.mdp_file, &a.features, &a.demos}) {
    if (!path->empty()) *path = std::filesystem::absolute(*path).lexically_normal().string();
  }
  return {{"format", "cai.irl_run/1"}, {"algorithm", "irl"}, {"irl", a}};
}

void IrlConfigFromJson(const nlohmann::json& j, IrlArgs& a) {
  try {
    j.at("irl").get_to(a);
    const run::RunOptions stored = run::RunOptionsFromJson(j.at("run"), a.resume);
    a.checkpoint_every = static_cast<int>(stored.checkpoint_interval);
    a.log_every = static_cast<int>(stored.log_interval);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("config.json: {}", e.what()));
  }
}

nlohmann::json Matrix(std::span<const double> x, std::size_t cols) {
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t i = 0; i < x.size(); i += cols) {
    rows.push_back(std::vector<double>(x.begin() + static_cast<std::ptrdiff_t>(i),
                                       x.begin() + static_cast<std::ptrdiff_t>(i + cols)));
  }
  return rows;
}

// Mean over actions of a S x A table (the state reward shown in the heat maps).
std::vector<double> StateMean(std::span<const double> sa, int num_actions) {
  const auto na = static_cast<std::size_t>(num_actions);
  std::vector<double> out(sa.size() / na, 0.0);
  for (std::size_t i = 0; i < sa.size(); ++i) out[i / na] += sa[i] / static_cast<double>(na);
  return out;
}

void RunIrl(const IrlArgs& args) {
  const Mdp mdp = args.source.Load();
  FeatureTable features;
  if (!args.features.empty()) {
    features = LoadFeatures(args.features);
  } else if (!args.source.builtin.empty()) {
    features = MakeBuiltinFeatures(args.source.builtin, ParseParams(args.source.params));
  } else {
    features = IndicatorFeatures(mdp);
  }
  ValidateFeatures(features, mdp);
  const auto demos = LoadDemonstrations(args.demos);
  IrlObjectiveOptions o;
  o.method = ParseIrlMethod(args.method);
  o.temperature = args.temperature;
  o.horizon = args.h.horizon;
  o.discount = args.h.horizon > 0 ? 1.0 : args.h.discount;
  o.l2 = args.l2;
  IrlFitOptions fo;
  fo.optimizer = ParseIrlOptimizer(args.optimizer);
  fo.max_iterations = args.iterations;
  fo.learning_rate = args.learning_rate;
  fo.gradient_tolerance = args.gradient_tolerance;
  ValidateIrlFitOptions(fo);
  IrlObjective objective(mdp, features, demos, o);
  // The fit runs in the shared run directory (config.json, metrics, TensorBoard, checkpoints, resume).
  IrlRunTrainer trainer(objective, fo, IrlMethodName(o.method), IrlConfig(args));
  run::RunOptions run_options;
  run_options.directory = args.resume.empty() ? args.out : args.resume;
  run_options.checkpoint_interval = args.checkpoint_every;
  run_options.log_interval = args.log_every;
  run_options.eval_interval = 0;
  run_options.progress = false;
  if (args.resume.empty()) {
    run::StartRun(trainer, run_options);
  } else {
    run::ResumeRun(trainer, run_options);
  }
  const IrlFitResult fit = trainer.fitter().result();

  const auto na = static_cast<std::size_t>(mdp.num_actions());
  std::vector<double> rewards(static_cast<std::size_t>(mdp.num_states()) * na);
  LinearReward(features, fit.theta, rewards);
  const Mdp learned = WithRewards(mdp, rewards);
  const Backup backup = o.method == IrlMethod::kMaxEnt ? Backup::kExact : Backup::kVariational;
  SoftBellmanParams params;
  params.temperature = args.temperature;
  params.backup = backup;
  const auto policy = SoftOptimalPolicy(learned, params, args.h);
  std::optional<double> evd;
  if (args.h.horizon == 0) evd = ExpectedValueDifference(mdp, rewards, args.h.discount);

  const std::string dir = run_options.directory.string() + "/";
  nlohmann::json reward;
  reward["format"] = "cai.irl_reward/1";
  reward["method"] = IrlMethodName(o.method);
  nlohmann::json theta = nlohmann::json::array();
  for (int k = 0; k < features.num_features; ++k) {
    theta.push_back({{"feature", features.FeatureName(k)},
                     {"weight", fit.theta[static_cast<std::size_t>(k)]}});
  }
  reward["theta"] = std::move(theta);
  reward["rewards"] = Matrix(rewards, na);
  WriteFileAtomically(dir + "reward.json", reward.dump() + "\n");
  nlohmann::json pol;
  pol["format"] = "cai.irl_policy/1";
  pol["backup"] = BackupName(backup);
  pol["temperature"] = args.temperature;
  if (args.h.horizon > 0) {
    pol["horizon"] = args.h.horizon;
    nlohmann::json steps = nlohmann::json::array();
    const std::size_t block = static_cast<std::size_t>(mdp.num_states()) * na;
    for (int t = 0; t < args.h.horizon; ++t) {
      steps.push_back(Matrix(std::span<const double>(policy).subspan(t * block, block), na));
    }
    pol["policy"] = std::move(steps);
  } else {
    pol["discount"] = args.h.discount;
    pol["policy"] = Matrix(policy, na);
  }
  WriteFileAtomically(dir + "policy.json", pol.dump() + "\n");
  // For maxent with discount 1, objective + dynamics term is the mean log-likelihood.
  const bool is_likelihood = o.method == IrlMethod::kMaxEnt && args.h.horizon > 0 && args.l2 == 0;
  std::string csv = "iteration,evaluations,objective,log_likelihood,gradient_norm\n";
  for (const auto& row : fit.trace) {
    csv += fmt::format("{},{},{:.17g},{},{:.6g}\n", row.iteration, row.evaluations, row.objective,
                       is_likelihood
                           ? fmt::format("{:.17g}", row.objective + objective.dynamics_log_likelihood())
                           : std::string(),
                       row.gradient_norm);
  }
  WriteFileAtomically(dir + "trace.csv", csv);
  std::string svg_path;
  if (mdp.grid() && mdp.grid()->width <= 200 && mdp.grid()->height <= 200) {
    const std::vector<HeatmapPanel> panels = {
        {"true reward (the MDP's)", StateMean(mdp.rewards(), mdp.num_actions())},
        {"learned reward theta . f", StateMean(rewards, mdp.num_actions())}};
    svg_path = dir + "rewards.svg";
    WriteFileAtomically(svg_path, GridHeatmapsSvg(*mdp.grid(), panels,
                                                  fmt::format("{} IRL, {} demonstrations",
                                                              IrlMethodName(o.method),
                                                              demos.size())));
  }
  nlohmann::json summary;
  summary["method"] = IrlMethodName(o.method);
  summary["optimizer"] = IrlOptimizerName(fo.optimizer);
  summary["demonstrations"] = demos.size();
  summary["features"] = features.num_features;
  summary["converged"] = fit.summary.converged;
  summary["termination"] = TerminationTypeName(fit.summary.termination);
  summary["iterations"] = fit.summary.iterations;
  summary["message"] = fit.summary.message;
  summary["objective"] = fit.trace.back().objective;
  summary["gradient_norm"] = fit.trace.back().gradient_norm;
  if (evd) summary["expected_value_difference"] = *evd;
  WriteFileAtomically(dir + "summary.json", summary.dump(2) + "\n");
  if (args.json) {
    std::cout << summary.dump() << "\n";
  } else {
    std::cout << fmt::format("{} IRL ({}), {} demonstrations, {} features: {}\n",
                             IrlMethodName(o.method), IrlOptimizerName(fo.optimizer), demos.size(),
                             features.num_features, fit.summary.BriefReport());
    std::cout << fmt::format("objective {:.6f} -> {:.6f}\n", fit.trace.front().objective,
                             fit.trace.back().objective);
    if (evd) std::cout << fmt::format("expected value difference {:.6f}\n", *evd);
    std::cout << fmt::format("wrote {}reward.json, policy.json, trace.csv, summary.json{}\n", dir,
                             svg_path.empty() ? "" : ", rewards.svg");
  }
  if (!fit.summary.converged) {
    std::fprintf(stderr, "cai: warning: %s\n", fit.summary.BriefReport().c_str());
    ExitStatus() = 1;
  }
}

}  // namespace

void AddIrlCommands(CLI::App& app) {
  {
    auto args = std::make_shared<IrlArgs>();
    CLI::App* cmd = app.add_subcommand(
        "irl", "inverse RL: linear reward weights under which the demonstrations are most likely "
               "(MaxEnt 2008 = exact backup, maximum causal entropy 2010 = variational backup)");
    args->source.AddFlags(*cmd);
    cmd->add_option("--features", args->features,
                    "cai.features/1 file (default: the built-in's features, else one-hot states)");
    cmd->add_option("--demos", args->demos, "demonstrations, JSON Lines (required unless --resume)");
    args->h.AddFlags(*cmd, "discount in [0, 1) (discounted)", "finite horizon T >= 1");
    cmd->add_option("--method", args->method, "mce (default, variational backup) or maxent (exact)");
    cmd->add_option("--temperature", args->temperature, "alpha > 0 (1)");
    cmd->add_option("--l2", args->l2, "L2 regularisation lambda >= 0 (0)");
    cmd->add_option("--optimizer", args->optimizer, "lbfgs (default) or adam");
    cmd->add_option("--iterations", args->iterations, "optimiser iterations (1000)");
    cmd->add_option("--learning-rate", args->learning_rate, "Adam's learning rate (0.05)");
    cmd->add_option("--gradient-tolerance", args->gradient_tolerance, "stop below this (1e-6)");
    cmd->add_option("--out", args->out,
                    "run directory (config.json, metrics.csv/.jsonl, TensorBoard events, checkpoint.safetensors, "
                    "policy.safetensors; reward.json, policy.json, trace.csv, summary.json, rewards.svg); "
                    "required unless --resume");
    cmd->add_option("--resume", args->resume, "continue the fit in this run directory from its checkpoint");
    cmd->add_option("--checkpoint-every", args->checkpoint_every, "checkpoint every N iterations (0 = only at the end)")
        ->capture_default_str();
    cmd->add_option("--log-every", args->log_every, "metrics every N iterations")->capture_default_str();
    cmd->add_flag("--json", args->json, "print the summary as one JSON object");
    cmd->callback([args, cmd]() {
      IrlArgs& a = *args;
      if (!a.resume.empty()) {
        for (const char* flag : kIrlRunFlags) {
          if (cmd->count(flag) > 0) {
            throw Error(fmt::format("{}: not allowed with --resume (the run's config.json fixes it)", flag));
          }
        }
        IrlConfigFromJson(run::ReadRunConfig(a.resume), a);
        a.h.CheckGiven(a.h.horizon > 0, a.h.horizon == 0, kIrlMissingHorizon, true);
      } else {
        if (a.demos.empty()) throw Error("--demos: a demonstrations file is required (or --resume DIR)");
        if (a.out.empty()) throw Error("--out: a run directory is required (or --resume DIR)");
        a.h.Check(kIrlMissingHorizon, true);
      }
      if (a.checkpoint_every < 0) {
        throw Error(fmt::format("--checkpoint-every: {} is invalid (expected an integer >= 0)", a.checkpoint_every));
      }
      if (a.log_every < 1) throw Error(fmt::format("--log-every: {} is invalid (expected an integer >= 1)", a.log_every));
      RunIrl(a);
    });
  }
  {
    auto args = std::make_shared<DemosArgs>();
    CLI::App* cmd = app.add_subcommand(
        "demos", "sample demonstrations (JSON Lines) from the soft-optimal policy of an MDP's reward");
    args->source.AddFlags(*cmd);
    args->h.AddFlags(*cmd, "discount in [0, 1)", "finite horizon T >= 1");
    cmd->add_option("--temperature", args->temperature, "alpha > 0 (1)");
    cmd->add_option("--backup", args->backup, "expert's backup: variational (default) or exact");
    cmd->add_option("--count", args->count, "number of trajectories (16)");
    cmd->add_option("--length", args->length, "steps per trajectory (with --discount)");
    cmd->add_option("--seed", args->seed, "random seed (0)");
    cmd->add_option("--out", args->out, "output file (.jsonl)")->required();
    cmd->callback([args]() {
      args->h.Check("demos: give either --horizon T (finite horizon) or --discount G (discounted)", true);
      RunDemos(*args);
    });
  }
}

}  // namespace cai::cli
