// cai train sac ... / cai eval RUN: learning on the simulators with run directories.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/env/environment.h"
#include "cai/core/file.h"
#include "cai/io/policy_file.h"
#include "cai/io/training_run.h"
#include "cai/nn/mlp_safetensors.h"
#include "cai/nn/safetensors.h"
#include "cai/planning/pets.h"
#include "cai/rl/actor_critic.h"
#include "cai/rl/sac_trainer.h"
#include "cai/rl/soft_dqn.h"
#include "commands.h"

namespace cai::cli {
namespace {

// "0.2,0.3,0.5" -> {0.2, 0.3, 0.5}; throws cai::Error naming `field` and the bad entry.
std::vector<double> ParseNumberList(const std::string& text, std::string_view field) {
  std::vector<double> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    char* stop = nullptr;
    const double v = std::strtod(item.c_str(), &stop);
    if (item.empty() || stop != item.c_str() + item.size()) {
      throw Error(fmt::format("{}: \"{}\" is not a number (expected comma-separated numbers)", field, item));
    }
    out.push_back(v);
    start = end + 1;
  }
  return out;
}

void PrintResult(const io::RunResult& r, const std::filesystem::path& dir, bool json,
                 const nlohmann::json& extra = nlohmann::json::object()) {
  if (json) {
    nlohmann::json j = extra;
    j.update(nlohmann::json{{"run", dir.string()},
                            {"steps", r.steps},
                            {"wall_seconds", r.wall_seconds},
                            {"steps_per_second", r.steps_per_second},
                            {"eval_mean_return", r.final_evaluation.mean_return},
                            {"eval_std_return", r.final_evaluation.std_return}});
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("run %s: %lld steps in %.1f s (%.0f steps/s)\n", dir.string().c_str(),
              static_cast<long long>(r.steps), r.wall_seconds, r.steps_per_second);
  std::printf("evaluation (%zu deterministic episodes): mean return %.2f +- %.2f\n",
              r.final_evaluation.returns.size(), r.final_evaluation.mean_return, r.final_evaluation.std_return);
}

// Flags every `cai train <algorithm>` has: environment, budget, run directory, config file, run
// options. A flag given on the command line overrides the same key of --config, which overrides
// the defaults; with --resume the run's own config.json is used and may not be changed.
struct CommonArgs {
  std::string env;
  std::int64_t steps = 0;
  std::string out;
  std::string resume;
  std::string config;
  std::string hidden;
  std::string activation;
  io::RunOptions run;
  bool no_progress = false;
  bool json = false;
};

CommonArgs Defaults(std::string env, std::int64_t steps) {
  CommonArgs a;
  a.env = std::move(env);
  a.steps = steps;
  return a;
}

void AddCommonFlags(CLI::App* cmd, CommonArgs& a, const std::string& envs) {
  cmd->add_option("--env", a.env, "environment (" + envs + ")")->capture_default_str();
  cmd->add_option("--steps", a.steps, "environment steps")->capture_default_str();
  cmd->add_option("--out", a.out, "new run directory");
  cmd->add_option("--resume", a.resume, "continue the run in this directory from its last checkpoint");
  cmd->add_option("--config", a.config, "JSON config (a run's config.json works); flags override it");
  cmd->add_option("--checkpoint-every", a.run.checkpoint_interval, "steps between checkpoints (0 = none)")->capture_default_str();
  cmd->add_option("--eval-every", a.run.eval_interval, "steps between evaluations (0 = only at the end)")->capture_default_str();
  cmd->add_option("--eval-episodes", a.run.eval_episodes, "deterministic evaluation episodes")->capture_default_str();
  cmd->add_option("--log-every", a.run.log_interval, "steps between loss logs")->capture_default_str();
  cmd->add_flag("--no-progress", a.no_progress, "no progress bar or progress lines");
  cmd->add_flag("--json", a.json, "print the result as one JSON object");
}

// What the common flags resolve to, plus the config file's section for the algorithm's options.
struct ResolvedRun {
  std::string env;
  std::int64_t steps = 0;
  io::RunOptions run;
  bool resuming = false;
  nlohmann::json options = nlohmann::json::object();  // the config's "<section>" object, if any
};

ResolvedRun ResolveCommon(const CLI::App* cmd, const CommonArgs& f, const char* section,
                          std::initializer_list<const char*> fixed_on_resume) {
  ResolvedRun r;
  r.resuming = !f.resume.empty();
  if (r.resuming == !f.out.empty()) {
    throw Error(r.resuming ? "--resume and --out: give one of them, not both"
                           : "--out: a run directory is required (or --resume DIR to continue one)");
  }
  nlohmann::json file_config = nlohmann::json::object();
  if (r.resuming) {
    if (cmd->count("--config")) throw Error("--config: not allowed with --resume (the run's config.json is used)");
    file_config = io::ReadRunConfig(f.resume);
    for (const char* flag : {"--env", "--steps"}) {
      if (cmd->count(flag)) throw Error(fmt::format("{}: not allowed with --resume (the run's config.json is used)", flag));
    }
    for (const char* flag : fixed_on_resume) {
      if (cmd->count(flag)) throw Error(fmt::format("{}: not allowed with --resume (the run's config.json is used)", flag));
    }
  } else if (!f.config.empty()) {
    file_config = nlohmann::json::parse(ReadFile(f.config), nullptr, false);
    if (!file_config.is_object()) throw Error(fmt::format("--config: {} is not a JSON object", f.config));
  }
  r.env = f.env;
  r.steps = f.steps;
  r.run = f.run;
  if (file_config.contains("algorithm") && file_config["algorithm"] != cmd->get_name()) {
    throw Error(fmt::format("config \"algorithm\": {} (expected \"{}\" for `cai train {}`)",
                            file_config["algorithm"].dump(), cmd->get_name(), cmd->get_name()));
  }
  if (file_config.contains("env")) {
    if (!file_config["env"].is_string()) throw Error("config \"env\": expected a string");
    r.env = file_config["env"].get<std::string>();
  }
  if (file_config.contains("steps")) {
    if (!file_config["steps"].is_number_integer()) throw Error("config \"steps\": expected an integer");
    r.steps = file_config["steps"].get<std::int64_t>();
  }
  if (file_config.contains(section)) r.options = file_config[section];
  if (file_config.contains("run")) r.run = io::RunOptionsFromJson(file_config["run"], r.resuming ? f.resume : f.out);
  const auto given = [&](const char* flag) { return cmd->count(flag) > 0; };
  if (given("--env")) r.env = f.env;
  if (given("--steps")) r.steps = f.steps;
  if (given("--checkpoint-every")) r.run.checkpoint_interval = f.run.checkpoint_interval;
  if (given("--eval-every")) r.run.eval_interval = f.run.eval_interval;
  if (given("--eval-episodes")) r.run.eval_episodes = f.run.eval_episodes;
  if (given("--log-every")) r.run.log_interval = f.run.log_interval;
  r.run.directory = r.resuming ? f.resume : f.out;
  r.run.progress = !f.no_progress;
  io::ValidateRunOptions(r.run);
  return r;
}

void RunAndPrint(rl::Trainer& trainer, const ResolvedRun& r, bool json) {
  const io::RunResult result = r.resuming ? io::ResumeRun(trainer, r.run) : io::StartRun(trainer, r.run);
  PrintResult(result, r.run.directory, json);
}

// Flags of `cai train sac`. Every SAC option is a flag.
struct SacArgs {
  CommonArgs common = Defaults("Pendulum-v1", 20000);
  rl::SacOptions o;
  double target_entropy = 0;
  bool fixed_alpha = false;
};

void AddTrainSac(CLI::App& train) {
  auto args = std::make_shared<SacArgs>();
  CLI::App* cmd = train.add_subcommand("sac", "Soft Actor-Critic (twin critics, automatic temperature)");
  auto& a = *args;
  AddCommonFlags(cmd, a.common, "Pendulum-v1, MountainCarContinuous-v0");
  cmd->add_option("--seed", a.o.seed, "seed of every random draw")->capture_default_str();
  cmd->add_option("--hidden", a.common.hidden, "hidden layer sizes of actor and critics, e.g. 64,64 (default 256,256)");
  cmd->add_option("--activation", a.common.activation, "hidden activation: relu, tanh, elu, identity (default relu)");
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
  cmd->callback([args, cmd]() {
    SacArgs& f = *args;
    const ResolvedRun r = ResolveCommon(cmd, f.common, "sac", {"--seed", "--hidden", "--batch"});
    rl::SacOptions o = rl::SacOptionsFromJson(r.options, rl::SacOptions{});
    const auto given = [&](const char* flag) { return cmd->count(flag) > 0; };
    if (given("--seed")) o.seed = f.o.seed;
    if (given("--hidden")) o.hidden = nn::ParseLayerSizes(f.common.hidden, "--hidden");
    if (given("--activation")) o.activation = nn::ParseActivation(f.common.activation, "--activation");
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
    rl::ValidateSacOptions(o);
    rl::SacTrainer trainer(r.env, o, r.steps);
    RunAndPrint(trainer, r, f.common.json);
  });
}

// Flags of `cai train soft-q`. Every soft DQN option is a flag.
struct SoftQArgs {
  CommonArgs common = Defaults("CartPole-v1", 50000);
  rl::SoftQOptions o;
  double target_entropy = 0;
  std::string prior;
  std::string loss;
};

void AddTrainSoftQ(CLI::App& train) {
  auto args = std::make_shared<SoftQArgs>();
  CLI::App* cmd = train.add_subcommand("soft-q", "soft Q-learning with a Q network (soft DQN), discrete actions");
  auto& a = *args;
  AddCommonFlags(cmd, a.common, "CartPole-v1, Acrobot-v1");
  cmd->add_option("--seed", a.o.seed, "seed of every random draw")->capture_default_str();
  cmd->add_option("--hidden", a.common.hidden, "hidden layer sizes, e.g. 64,64 (default 256,256; \"\" = linear)");
  cmd->add_option("--activation", a.common.activation, "hidden activation: relu, tanh, elu, identity (default relu)");
  cmd->add_option("--batch", a.o.batch_size, "minibatch size")->capture_default_str();
  cmd->add_option("--buffer-size", a.o.buffer_size, "replay buffer capacity")->capture_default_str();
  cmd->add_option("--discount", a.o.discount, "discount gamma")->capture_default_str();
  cmd->add_option("--learning-rate", a.o.learning_rate, "Adam learning rate of the Q network")->capture_default_str();
  cmd->add_option("--learning-starts", a.o.learning_starts, "uniform random steps before learning")->capture_default_str();
  cmd->add_option("--train-freq", a.o.train_frequency, "environment steps between update rounds")->capture_default_str();
  cmd->add_option("--gradient-steps", a.o.gradient_steps, "updates per round")->capture_default_str();
  cmd->add_option("--target-update-interval", a.o.target_update_interval, "updates between target-network updates")->capture_default_str();
  cmd->add_option("--tau", a.o.tau, "Polyak coefficient of the target update (1 = copy)")->capture_default_str();
  cmd->add_option("--alpha", a.o.temperature, "temperature (initial value with --auto-alpha)")->capture_default_str();
  cmd->add_flag("--auto-alpha", a.o.auto_temperature, "tune the temperature to an entropy target");
  cmd->add_option("--target-entropy", a.target_entropy, "entropy target in nats (default 0.2 log|A|)");
  cmd->add_option("--alpha-lr", a.o.temperature_learning_rate, "temperature learning rate")->capture_default_str();
  cmd->add_option("--prior", a.prior, "action prior p(a) as comma-separated probabilities (default none)");
  cmd->add_option("--loss", a.loss, "TD loss: huber or squared (default huber)");
  cmd->add_option("--max-grad-norm", a.o.max_grad_norm, "gradient norm clip (0 = off)")->capture_default_str();
  cmd->callback([args, cmd]() {
    SoftQArgs& f = *args;
    const ResolvedRun r = ResolveCommon(cmd, f.common, "soft_q", {"--seed", "--hidden", "--batch", "--prior"});
    rl::SoftQOptions o = rl::SoftQOptionsFromJson(r.options, rl::SoftQOptions{});
    const auto given = [&](const char* flag) { return cmd->count(flag) > 0; };
    if (given("--seed")) o.seed = f.o.seed;
    if (given("--hidden")) o.hidden = nn::ParseLayerSizes(f.common.hidden, "--hidden");
    if (given("--activation")) o.activation = nn::ParseActivation(f.common.activation, "--activation");
    if (given("--batch")) o.batch_size = f.o.batch_size;
    if (given("--buffer-size")) o.buffer_size = f.o.buffer_size;
    if (given("--discount")) o.discount = f.o.discount;
    if (given("--learning-rate")) o.learning_rate = f.o.learning_rate;
    if (given("--learning-starts")) o.learning_starts = f.o.learning_starts;
    if (given("--train-freq")) o.train_frequency = f.o.train_frequency;
    if (given("--gradient-steps")) o.gradient_steps = f.o.gradient_steps;
    if (given("--target-update-interval")) o.target_update_interval = f.o.target_update_interval;
    if (given("--tau")) o.tau = f.o.tau;
    if (given("--alpha")) o.temperature = f.o.temperature;
    if (given("--auto-alpha")) o.auto_temperature = true;
    if (given("--target-entropy")) o.target_entropy = f.target_entropy;
    if (given("--alpha-lr")) o.temperature_learning_rate = f.o.temperature_learning_rate;
    if (given("--prior")) o.action_prior = ParseNumberList(f.prior, "--prior");
    if (given("--loss")) {
      if (f.loss != "huber" && f.loss != "squared") {
        throw Error(fmt::format("--loss: \"{}\" is invalid (expected huber or squared)", f.loss));
      }
      o.loss = f.loss == "huber" ? rl::TdLoss::kHuber : rl::TdLoss::kSquared;
    }
    if (given("--max-grad-norm")) o.max_grad_norm = f.o.max_grad_norm;
    rl::ValidateSoftQOptions(o);
    rl::SoftQTrainer trainer(r.env, o, r.steps);
    RunAndPrint(trainer, r, f.common.json);
  });
}

// Flags of `cai train maxent-pg`. Every actor-critic option is a flag.
struct MaxEntPgArgs {
  CommonArgs common = Defaults("CartPole-v1", 200000);
  rl::ActorCriticOptions o;
  std::string prior;
};

void AddTrainMaxEntPg(CLI::App& train) {
  auto args = std::make_shared<MaxEntPgArgs>();
  CLI::App* cmd = train.add_subcommand(
      "maxent-pg", "MaxEnt actor-critic (A2C with an entropy or KL-to-prior bonus, GAE, vector environments)");
  auto& a = *args;
  AddCommonFlags(cmd, a.common, "CartPole-v1, Acrobot-v1, Pendulum-v1, MountainCarContinuous-v0");
  cmd->add_option("--seed", a.o.seed, "seed of every random draw")->capture_default_str();
  cmd->add_option("--hidden", a.common.hidden, "hidden layer sizes of actor and critic (default 64,64)");
  cmd->add_option("--activation", a.common.activation, "hidden activation: relu, tanh, elu, identity (default tanh)");
  cmd->add_option("--num-envs", a.o.num_envs, "environment copies stepped together")->capture_default_str();
  cmd->add_option("--n-steps", a.o.n_steps, "rollout length per copy")->capture_default_str();
  cmd->add_option("--discount", a.o.discount, "discount gamma")->capture_default_str();
  cmd->add_option("--gae-lambda", a.o.gae_lambda, "GAE lambda (1 = n-step advantages)")->capture_default_str();
  cmd->add_option("--alpha", a.o.entropy_coefficient, "temperature: weight of the entropy (or -KL) bonus")->capture_default_str();
  cmd->add_option("--prior", a.prior, "action prior p(a), comma-separated (discrete actions; bonus -alpha KL(pi || p))");
  cmd->add_option("--value-coef", a.o.value_coefficient, "weight of the value loss")->capture_default_str();
  cmd->add_option("--learning-rate", a.o.learning_rate, "Adam learning rate")->capture_default_str();
  cmd->add_option("--max-grad-norm", a.o.max_grad_norm, "global gradient norm clip (0 = off)")->capture_default_str();
  cmd->add_flag("--normalize-advantage", a.o.normalize_advantage, "standardise advantages per rollout");
  cmd->add_option("--log-std-init", a.o.log_std_init, "initial log-std of the Gaussian policy")->capture_default_str();
  cmd->callback([args, cmd]() {
    MaxEntPgArgs& f = *args;
    const ResolvedRun r =
        ResolveCommon(cmd, f.common, "actor_critic", {"--seed", "--hidden", "--num-envs", "--n-steps", "--prior"});
    rl::ActorCriticOptions o = rl::ActorCriticOptionsFromJson(r.options, rl::ActorCriticOptions{});
    const auto given = [&](const char* flag) { return cmd->count(flag) > 0; };
    if (given("--seed")) o.seed = f.o.seed;
    if (given("--hidden")) o.hidden = nn::ParseLayerSizes(f.common.hidden, "--hidden");
    if (given("--activation")) o.activation = nn::ParseActivation(f.common.activation, "--activation");
    if (given("--num-envs")) o.num_envs = f.o.num_envs;
    if (given("--n-steps")) o.n_steps = f.o.n_steps;
    if (given("--discount")) o.discount = f.o.discount;
    if (given("--gae-lambda")) o.gae_lambda = f.o.gae_lambda;
    if (given("--alpha")) o.entropy_coefficient = f.o.entropy_coefficient;
    if (given("--prior")) o.action_prior = ParseNumberList(f.prior, "--prior");
    if (given("--value-coef")) o.value_coefficient = f.o.value_coefficient;
    if (given("--learning-rate")) o.learning_rate = f.o.learning_rate;
    if (given("--max-grad-norm")) o.max_grad_norm = f.o.max_grad_norm;
    if (given("--normalize-advantage")) o.normalize_advantage = true;
    if (given("--log-std-init")) o.log_std_init = f.o.log_std_init;
    rl::ValidateActorCriticOptions(o);
    rl::ActorCriticTrainer trainer(r.env, o, r.steps);
    RunAndPrint(trainer, r, f.common.json);
  });
}

// Flags of `cai train pets`: PETS, MPPI through a learned probabilistic ensemble.
struct PetsArgs {
  CommonArgs common = Defaults("Pendulum-v1", 2000);
  planning::PetsOptions o;
  int episodes = 10;
  std::string start = "hanging";
  std::string reward;
  std::vector<double> noise;
};

// Library option errors name PetsOptions / EnsembleOptions / MppiOptions fields; say the flag.
[[noreturn]] void RethrowPetsErrorAsFlag(const Error& e) {
  static const std::pair<const char*, const char*> kFlags[] = {
      {"PetsOptions.random_episodes", "--random-episodes"}, {"PetsOptions.episode_length", "--episode-length"},
      {"PetsOptions.refit_every", "--refit-every"},         {"PetsOptions.initial_state", "--start"},
      {"EnsembleOptions.members", "--members"},             {"EnsembleOptions.hidden", "--hidden"},
      {"EnsembleOptions.learning_rate", "--learning-rate"}, {"EnsembleOptions.batch_size", "--batch"},
      {"EnsembleOptions.gradient_steps", "--gradient-steps"}, {"EnsembleOptions.weight_decay", "--weight-decay"},
      {"EnsembleOptions.min_log_variance", "--min-log-var"}, {"EnsembleOptions.max_log_variance", "--max-log-var"},
      {"MppiOptions.samples", "--samples"},                 {"MppiOptions.horizon", "--horizon"},
      {"MppiOptions.temperature", "--temperature"},         {"MppiOptions.noise_std", "--noise"},
      {"MppiOptions.iterations", "--iterations"},           {"MppiOptions.threads", "--threads"}};
  std::string msg = e.what();
  for (const auto& [field, flag] : kFlags) {
    if (msg.rfind(field, 0) == 0) {
      msg = flag + msg.substr(std::string(field).size());
      break;
    }
  }
  throw Error(msg);
}

void AddTrainPets(CLI::App& train) {
  auto args = std::make_shared<PetsArgs>();
  CLI::App* cmd = train.add_subcommand("pets", "PETS: MPPI through a learned probabilistic ensemble (model-based)");
  auto& a = *args;
  a.common.run.checkpoint_interval = a.o.episode_length;
  a.common.run.eval_interval = 0;
  a.common.run.eval_episodes = 1;
  a.common.run.log_interval = a.o.episode_length;
  AddCommonFlags(cmd, a.common, "Pendulum-v1");
  cmd->add_option("--episodes", a.episodes, "episodes in all, random ones included (sets --steps)")->capture_default_str();
  cmd->add_option("--random-episodes", a.o.random_episodes, "episodes of random actions before the first fit")->capture_default_str();
  cmd->add_option("--episode-length", a.o.episode_length, "steps per episode")->capture_default_str();
  cmd->add_option("--start", a.start, "start state of every episode: hanging (theta = pi, at rest) or reset (Gymnasium's)")->capture_default_str();
  cmd->add_option("--reward", a.reward, "reward in planning: known (the task's) or learned (a model output) (default known)");
  cmd->add_option("--refit-every", a.o.refit_every, "planned episodes between model fits")->capture_default_str();
  cmd->add_option("--seed", a.o.seed, "seed of every random draw")->capture_default_str();
  cmd->add_option("--members", a.o.ensemble.members, "ensemble members E")->capture_default_str();
  cmd->add_option("--hidden", a.common.hidden, "hidden layer sizes of each member (default 64,64)");
  cmd->add_option("--activation", a.common.activation, "hidden activation: relu, tanh, elu, identity (default elu)");
  cmd->add_option("--learning-rate", a.o.ensemble.learning_rate, "Adam learning rate of the model")->capture_default_str();
  cmd->add_option("--batch", a.o.ensemble.batch_size, "model minibatch size")->capture_default_str();
  cmd->add_option("--gradient-steps", a.o.ensemble.gradient_steps, "gradient steps per member per fit")->capture_default_str();
  cmd->add_option("--weight-decay", a.o.ensemble.weight_decay, "L2 coefficient of the model")->capture_default_str();
  cmd->add_option("--min-log-var", a.o.ensemble.min_log_variance, "lower bound of the standardised log-variance")->capture_default_str();
  cmd->add_option("--max-log-var", a.o.ensemble.max_log_variance, "upper bound of the standardised log-variance")->capture_default_str();
  cmd->add_flag("--no-bootstrap", [&a](std::int64_t) { a.o.ensemble.bootstrap = false; }, "train every member on all the data");
  cmd->add_option("--samples", a.o.mppi.samples, "MPPI K, sampled action sequences")->capture_default_str();
  cmd->add_option("--horizon", a.o.mppi.horizon, "MPPI T, planning horizon")->capture_default_str();
  cmd->add_option("--temperature", a.o.mppi.temperature, "MPPI lambda")->capture_default_str();
  cmd->add_option("--noise", a.noise, "MPPI proposal standard deviation (one, or one per action dimension)")->delimiter(',');
  cmd->add_option("--iterations", a.o.mppi.iterations, "MPPI iterations per control step")->capture_default_str();
  cmd->add_option("--threads", a.o.mppi.threads, "MPPI threads")->capture_default_str();
  cmd->callback([args, cmd]() {
    PetsArgs& f = *args;
    ResolvedRun r =
        ResolveCommon(cmd, f.common, "pets", {"--episodes", "--seed", "--start", "--episode-length", "--random-episodes"});
    planning::PetsOptions o = planning::PetsOptionsFromJson(r.options, planning::PetsOptions{});
    const auto given = [&](const char* flag) { return cmd->count(flag) > 0; };
    if (!r.resuming && !r.options.contains("initial_state")) {
      o.initial_state = {std::numbers::pi, 0.0};  // the command's default start: hanging
    }
    if (given("--start")) {
      if (f.start == "hanging") {
        if (r.env != "Pendulum-v1") throw Error(fmt::format("--start: hanging is defined for Pendulum-v1 only (--env is {})", r.env));
        o.initial_state = {std::numbers::pi, 0.0};
      } else if (f.start == "reset") {
        o.initial_state.clear();
      } else {
        throw Error(fmt::format("--start: \"{}\" is invalid (expected hanging or reset)", f.start));
      }
    }
    if (given("--random-episodes")) o.random_episodes = f.o.random_episodes;
    if (given("--episode-length")) o.episode_length = f.o.episode_length;
    if (given("--reward")) {
      if (f.reward != "known" && f.reward != "learned") {
        throw Error(fmt::format("--reward: \"{}\" is invalid (expected known or learned)", f.reward));
      }
      o.reward = f.reward == "known" ? planning::RewardSource::kKnown : planning::RewardSource::kLearned;
    }
    if (given("--refit-every")) o.refit_every = f.o.refit_every;
    if (given("--seed")) o.seed = f.o.seed;
    if (given("--members")) o.ensemble.members = f.o.ensemble.members;
    if (given("--hidden")) o.ensemble.hidden = nn::ParseLayerSizes(f.common.hidden, "--hidden");
    if (given("--activation")) o.ensemble.activation = nn::ParseActivation(f.common.activation, "--activation");
    if (given("--learning-rate")) o.ensemble.learning_rate = f.o.ensemble.learning_rate;
    if (given("--batch")) o.ensemble.batch_size = f.o.ensemble.batch_size;
    if (given("--gradient-steps")) o.ensemble.gradient_steps = f.o.ensemble.gradient_steps;
    if (given("--weight-decay")) o.ensemble.weight_decay = f.o.ensemble.weight_decay;
    if (given("--min-log-var")) o.ensemble.min_log_variance = f.o.ensemble.min_log_variance;
    if (given("--max-log-var")) o.ensemble.max_log_variance = f.o.ensemble.max_log_variance;
    if (given("--no-bootstrap")) o.ensemble.bootstrap = false;
    if (given("--samples")) o.mppi.samples = f.o.mppi.samples;
    if (given("--horizon")) o.mppi.horizon = f.o.mppi.horizon;
    if (given("--temperature")) o.mppi.temperature = f.o.mppi.temperature;
    if (given("--noise")) o.mppi.noise_std = f.noise;
    if (given("--iterations")) o.mppi.iterations = f.o.mppi.iterations;
    if (given("--threads")) o.mppi.threads = f.o.mppi.threads;
    if (given("--episodes")) {
      if (f.episodes < 1) throw Error(fmt::format("--episodes: {} is invalid (expected an integer >= 1)", f.episodes));
      r.steps = static_cast<std::int64_t>(f.episodes) * o.episode_length;
    } else if (!r.resuming && !cmd->count("--steps") && r.steps == f.common.steps) {
      r.steps = static_cast<std::int64_t>(f.episodes) * o.episode_length;  // --episodes' default
    }
    if (!r.resuming) {
      // Checkpoints and logs once per episode unless asked otherwise (the defaults follow --episode-length).
      if (!given("--checkpoint-every") && r.run.checkpoint_interval == f.common.run.checkpoint_interval) {
        r.run.checkpoint_interval = o.episode_length;
      }
      if (!given("--log-every") && r.run.log_interval == f.common.run.log_interval) r.run.log_interval = o.episode_length;
    }
    std::unique_ptr<planning::PetsTrainer> trainer;
    try {
      trainer = std::make_unique<planning::PetsTrainer>(r.env, o, r.steps);
    } catch (const Error& e) {
      RethrowPetsErrorAsFlag(e);
    }
    const io::RunResult result = r.resuming ? io::ResumeRun(*trainer, r.run) : io::StartRun(*trainer, r.run);
    // The swing-up outcome of the final evaluation episode(s) (Pendulum: |theta| < 0.2 rad).
    nlohmann::json upright = nlohmann::json::array();
    for (const auto& e : trainer->last_evaluation()) {
      upright.push_back(e.upright_from < 0 ? nlohmann::json(nullptr) : nlohmann::json(e.upright_from));
    }
    nlohmann::json train_returns = nlohmann::json::array();
    for (const auto& e : trainer->outcomes()) train_returns.push_back(e.episodic_return);
    PrintResult(result, r.run.directory, f.common.json,
                {{"algorithm", "pets"}, {"eval_upright_from", upright}, {"episode_returns", train_returns},
                 {"model_nll", trainer->last_fit().final_nll}, {"model_mse", trainer->last_fit().final_mse}});
    if (!f.common.json) {
      std::printf("swing-up (|theta| < 0.2 rad to the end) in the evaluation episode(s) from step: %s\n",
                  upright.dump().c_str());
    }
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
    io::PolicyFile pf = io::LoadPolicyFile(args->run);
    auto env = env::MakeEnvironment(pf.env);
    const rl::EvaluationResult e = rl::EvaluatePolicy(*pf.policy, *env, args->episodes, args->seed);
    if (args->json) {
      std::printf("%s\n", nlohmann::json({{"env", pf.env},
                                          {"episodes", args->episodes},
                                          {"mean_return", e.mean_return},
                                          {"std_return", e.std_return},
                                          {"returns", e.returns}})
                                 .dump()
                                 .c_str());
      return;
    }
    std::printf("%s, %d deterministic episodes: mean return %.2f +- %.2f (min %.2f, max %.2f)\n",
                pf.env.c_str(), args->episodes, e.mean_return, e.std_return,
                *std::min_element(e.returns.begin(), e.returns.end()),
                *std::max_element(e.returns.begin(), e.returns.end()));
  });
}

}  // namespace

void AddTrainCommands(CLI::App& app) {
  CLI::App* train = app.add_subcommand("train", "train a learner on a simulator, with a run directory");
  train->require_subcommand(1);
  AddTrainSac(*train);
  AddTrainSoftQ(*train);
  AddTrainMaxEntPg(*train);
  AddTrainPets(*train);
  AddEval(app);
}

}  // namespace cai::cli
