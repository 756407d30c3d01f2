// cai train sac ... / cai eval RUN: learning on the simulators with run directories.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/env/environment.h"
#include "cai/core/file.h"
#include "cai/io/training_run.h"
#include "cai/nn/safetensors.h"
#include "cai/rl/sac_trainer.h"
#include "commands.h"

namespace cai::cli {
namespace {

// Flags of `cai train sac`. Every SAC option is a flag; a flag given on the command line overrides
// the same key of --config, which overrides the defaults.
struct SacArgs {
  std::string env = "Pendulum-v1";
  std::int64_t steps = 20000;
  std::string out;
  std::string resume;
  std::string config;
  std::string hidden;
  std::string activation;
  rl::SacOptions o;
  double target_entropy = 0;
  io::RunOptions run;
  bool no_progress = false;
  bool json = false;
  bool fixed_alpha = false;
};

void PrintResult(const io::RunResult& r, const std::filesystem::path& dir, bool json) {
  if (json) {
    nlohmann::json j = {{"run", dir.string()},
                        {"steps", r.steps},
                        {"wall_seconds", r.wall_seconds},
                        {"steps_per_second", r.steps_per_second},
                        {"eval_mean_return", r.final_evaluation.mean_return},
                        {"eval_std_return", r.final_evaluation.std_return}};
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("run %s: %lld steps in %.1f s (%.0f steps/s)\n", dir.string().c_str(),
              static_cast<long long>(r.steps), r.wall_seconds, r.steps_per_second);
  std::printf("evaluation (%zu deterministic episodes): mean return %.2f +- %.2f\n",
              r.final_evaluation.returns.size(), r.final_evaluation.mean_return, r.final_evaluation.std_return);
}

void AddTrainSac(CLI::App& train) {
  auto args = std::make_shared<SacArgs>();
  CLI::App* cmd = train.add_subcommand("sac", "Soft Actor-Critic (twin critics, automatic temperature)");
  auto& a = *args;
  cmd->add_option("--env", a.env, "environment (Pendulum-v1, MountainCarContinuous-v0)")->capture_default_str();
  cmd->add_option("--steps", a.steps, "environment steps")->capture_default_str();
  cmd->add_option("--seed", a.o.seed, "seed of every random draw")->capture_default_str();
  cmd->add_option("--out", a.out, "new run directory");
  cmd->add_option("--resume", a.resume, "continue the run in this directory from its last checkpoint");
  cmd->add_option("--config", a.config, "JSON config (a run's config.json works); flags override it");
  cmd->add_option("--hidden", a.hidden, "hidden layer sizes of actor and critics, e.g. 64,64 (default 256,256)");
  cmd->add_option("--activation", a.activation, "hidden activation: relu, tanh, elu, identity (default relu)");
  cmd->add_option("--batch", a.o.batch_size, "minibatch size")->capture_default_str();
  cmd->add_option("--buffer-size", a.o.buffer_size, "replay buffer capacity")->capture_default_str();
  cmd->add_option("--discount", a.o.discount, "discount gamma")->capture_default_str();
  cmd->add_option("--tau", a.o.tau, "Polyak coefficient of the target critics")->capture_default_str();
  cmd->add_option("--learning-rate", "actor, critic and temperature learning rate (sets all three)");
  cmd->add_option("--actor-lr", a.o.actor_learning_rate, "actor learning rate")->capture_default_str();
  cmd->add_option("--critic-lr", a.o.critic_learning_rate, "critic learning rate")->capture_default_str();
  cmd->add_option("--alpha-lr", a.o.temperature_learning_rate, "temperature learning rate")->capture_default_str();
  cmd->add_option("--learning-starts", a.o.learning_starts, "uniform random steps before learning")->capture_default_str();
  cmd->add_option("--train-freq", a.o.train_frequency, "environment steps between update rounds")->capture_default_str();
  cmd->add_option("--gradient-steps", a.o.gradient_steps, "updates per round")->capture_default_str();
  cmd->add_option("--policy-freq", a.o.policy_frequency, "critic updates per actor update")->capture_default_str();
  cmd->add_option("--target-update-interval", a.o.target_update_interval, "updates per Polyak step")->capture_default_str();
  cmd->add_option("--alpha", a.o.initial_temperature, "initial (or, with --fixed-alpha, fixed) temperature")->capture_default_str();
  cmd->add_flag("--fixed-alpha", a.fixed_alpha, "keep the temperature fixed at --alpha");
  cmd->add_option("--target-entropy", a.target_entropy, "entropy target of the automatic temperature (default -dim(A))");
  cmd->add_option("--log-std-min", a.o.log_std_min, "lower clip of the actor's log-std")->capture_default_str();
  cmd->add_option("--log-std-max", a.o.log_std_max, "upper clip of the actor's log-std")->capture_default_str();
  cmd->add_option("--max-grad-norm", a.o.max_grad_norm, "gradient norm clip per network (0 = off)")->capture_default_str();
  cmd->add_option("--checkpoint-every", a.run.checkpoint_interval, "steps between checkpoints (0 = none)")->capture_default_str();
  cmd->add_option("--eval-every", a.run.eval_interval, "steps between evaluations (0 = only at the end)")->capture_default_str();
  cmd->add_option("--eval-episodes", a.run.eval_episodes, "deterministic evaluation episodes")->capture_default_str();
  cmd->add_option("--log-every", a.run.log_interval, "steps between loss logs")->capture_default_str();
  cmd->add_flag("--no-progress", a.no_progress, "no progress bar or progress lines");
  cmd->add_flag("--json", a.json, "print the result as one JSON object");
  cmd->callback([args, cmd]() {
    SacArgs& f = *args;
    const bool resuming = !f.resume.empty();
    if (resuming == !f.out.empty()) {
      throw Error(resuming ? "--resume and --out: give one of them, not both"
                           : "--out: a run directory is required (or --resume DIR to continue one)");
    }
    // Start from the defaults, then the config file (or the run's own config when resuming), then flags.
    nlohmann::json file_config = nlohmann::json::object();
    if (resuming) {
      if (cmd->count("--config")) throw Error("--config: not allowed with --resume (the run's config.json is used)");
      file_config = io::ReadRunConfig(f.resume);
    } else if (!f.config.empty()) {
      file_config = nlohmann::json::parse(ReadFile(f.config), nullptr, false);
      if (!file_config.is_object()) throw Error(fmt::format("--config: {} is not a JSON object", f.config));
    }
    if (resuming) {
      for (const char* flag : {"--env", "--steps", "--seed", "--hidden", "--batch"}) {
        if (cmd->count(flag)) throw Error(fmt::format("{}: not allowed with --resume (the run's config.json is used)", flag));
      }
    }
    std::string env = f.env;
    std::int64_t steps = f.steps;
    rl::SacOptions o;
    io::RunOptions run = f.run;
    if (file_config.contains("env")) {
      if (!file_config["env"].is_string()) throw Error("config \"env\": expected a string");
      env = file_config["env"].get<std::string>();
    }
    if (file_config.contains("steps")) {
      if (!file_config["steps"].is_number_integer()) throw Error("config \"steps\": expected an integer");
      steps = file_config["steps"].get<std::int64_t>();
    }
    if (file_config.contains("sac")) o = rl::SacOptionsFromJson(file_config["sac"], o);
    if (file_config.contains("run")) run = io::RunOptionsFromJson(file_config["run"], resuming ? f.resume : f.out);
    // Flags given explicitly win.
    const auto given = [&](const char* flag) { return cmd->count(flag) > 0; };
    if (given("--env")) env = f.env;
    if (given("--steps")) steps = f.steps;
    if (given("--seed")) o.seed = f.o.seed;
    if (given("--hidden")) o.hidden = nn::ParseLayerSizes(f.hidden, "--hidden");
    if (given("--activation")) o.activation = nn::ParseActivation(f.activation, "--activation");
    if (given("--batch")) o.batch_size = f.o.batch_size;
    if (given("--buffer-size")) o.buffer_size = f.o.buffer_size;
    if (given("--discount")) o.discount = f.o.discount;
    if (given("--tau")) o.tau = f.o.tau;
    if (given("--learning-rate")) {
      const double lr = cmd->get_option("--learning-rate")->as<double>();
      o.actor_learning_rate = o.critic_learning_rate = o.temperature_learning_rate = lr;
    }
    if (given("--actor-lr")) o.actor_learning_rate = f.o.actor_learning_rate;
    if (given("--critic-lr")) o.critic_learning_rate = f.o.critic_learning_rate;
    if (given("--alpha-lr")) o.temperature_learning_rate = f.o.temperature_learning_rate;
    if (given("--learning-starts")) o.learning_starts = f.o.learning_starts;
    if (given("--train-freq")) o.train_frequency = f.o.train_frequency;
    if (given("--gradient-steps")) o.gradient_steps = f.o.gradient_steps;
    if (given("--policy-freq")) o.policy_frequency = f.o.policy_frequency;
    if (given("--target-update-interval")) o.target_update_interval = f.o.target_update_interval;
    if (given("--alpha")) o.initial_temperature = f.o.initial_temperature;
    if (given("--fixed-alpha")) o.auto_temperature = false;
    if (given("--target-entropy")) o.target_entropy = f.target_entropy;
    if (given("--log-std-min")) o.log_std_min = f.o.log_std_min;
    if (given("--log-std-max")) o.log_std_max = f.o.log_std_max;
    if (given("--max-grad-norm")) o.max_grad_norm = f.o.max_grad_norm;
    if (given("--checkpoint-every")) run.checkpoint_interval = f.run.checkpoint_interval;
    if (given("--eval-every")) run.eval_interval = f.run.eval_interval;
    if (given("--eval-episodes")) run.eval_episodes = f.run.eval_episodes;
    if (given("--log-every")) run.log_interval = f.run.log_interval;
    run.directory = resuming ? f.resume : f.out;
    run.progress = !f.no_progress;
    rl::ValidateSacOptions(o);
    io::ValidateRunOptions(run);
    rl::SacTrainer trainer(env, o, steps);
    const io::RunResult r = resuming ? io::ResumeRun(trainer, run) : io::StartRun(trainer, run);
    PrintResult(r, run.directory, f.json);
  });
}

void AddEval(CLI::App& app) {
  struct EvalArgs {
    std::string run;
    int episodes = 10;
    std::uint64_t seed = 1000003;
    bool json = false;
  };
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "evaluate a run's saved policy (deterministic actions)");
  cmd->add_option("run", args->run, "run directory (or a policy .safetensors file)")->required();
  cmd->add_option("--episodes", args->episodes, "episodes")->capture_default_str();
  cmd->add_option("--seed", args->seed, "seed of the first episode")->capture_default_str();
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args]() {
    const std::filesystem::path p = args->run;
    const std::filesystem::path file = std::filesystem::is_directory(p) ? p / "policy.safetensors" : p;
    if (!std::filesystem::exists(file)) {
      throw Error(fmt::format("{}: no such file (has the run finished? a run writes policy.safetensors at the end)",
                              file.string()));
    }
    const nn::SafetensorsFile f = nn::LoadSafetensors(file);
    const auto env_it = f.metadata.find("env");
    if (env_it == f.metadata.end()) throw Error(fmt::format("{}: metadata \"env\" is missing", file.string()));
    auto env = env::MakeEnvironment(env_it->second);
    rl::SquashedGaussianPolicy policy = rl::LoadSquashedGaussianPolicy(f);
    if (policy.observation_dim() != env->observation_dim() || policy.action_dim() != env->action_dim()) {
      throw Error(fmt::format("{}: policy is {} -> {} but {} is {} -> {}", file.string(), policy.observation_dim(),
                              policy.action_dim(), env->name(), env->observation_dim(), env->action_dim()));
    }
    rl::DeterministicSquashedGaussian det(policy);
    const rl::EvaluationResult e = rl::EvaluatePolicy(det, *env, args->episodes, args->seed);
    if (args->json) {
      std::printf("%s\n", nlohmann::json({{"env", env_it->second},
                                          {"episodes", args->episodes},
                                          {"mean_return", e.mean_return},
                                          {"std_return", e.std_return},
                                          {"returns", e.returns}})
                                 .dump()
                                 .c_str());
      return;
    }
    std::printf("%s, %d deterministic episodes: mean return %.2f +- %.2f (min %.2f, max %.2f)\n",
                env_it->second.c_str(), args->episodes, e.mean_return, e.std_return,
                *std::min_element(e.returns.begin(), e.returns.end()),
                *std::max_element(e.returns.begin(), e.returns.end()));
  });
}

}  // namespace

void AddTrainCommands(CLI::App& app) {
  CLI::App* train = app.add_subcommand("train", "train a learner on a simulator, with a run directory");
  train->require_subcommand(1);
  AddTrainSac(*train);
  AddEval(app);
}

}  // namespace cai::cli
