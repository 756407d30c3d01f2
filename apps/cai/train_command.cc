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
#include "cai/core/options.h"
#include "cai/env/environment.h"
#include "cai/core/file.h"
#include "cai/io/policy_file.h"
#include "cai/io/training_run.h"
#include "cai/planning/pets.h"
#include "cai/rl/actor_critic.h"
#include "cai/rl/sac_trainer.h"
#include "cai/rl/soft_dqn.h"
#include "commands.h"
#include "option_flags.h"

namespace cai::cli {
namespace {

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
                          const std::vector<const char*>& fixed_on_resume) {
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

// `cai train <name>`: the common flags, one flag per field of the algorithm's options list, and the
// trainer. Flags override the --config file's "<section>", which overrides the defaults;
// `adjust` may edit the flags' JSON patch (aliases that set several fields).
template <typename Trainer, typename Options>
CLI::App* AddTrainer(CLI::App& train, const char* name, const char* help, const char* section,
                     const OptionList<Options>& list, CommonArgs defaults, const char* envs,
                     std::initializer_list<const char*> fixed_on_resume,
                     void (*adjust)(const CLI::App*, nlohmann::json&) = nullptr) {
  CLI::App* cmd = train.add_subcommand(name, help);
  auto common = std::make_shared<CommonArgs>(std::move(defaults));
  AddCommonFlags(cmd, *common, envs);
  auto flags = std::make_shared<OptionFlags>(cmd, list.Infos());
  std::vector<const char*> fixed(fixed_on_resume);
  cmd->callback([cmd, common, flags, fixed, section, &list, adjust]() {
    const ResolvedRun r = ResolveCommon(cmd, *common, section, fixed);
    const Options base = list.FromJson(r.options, Options{});
    list.Validate(base);
    nlohmann::json patch = flags->Given();
    if (adjust != nullptr) adjust(cmd, patch);
    auto trainer = flags->Named([&] {
      const Options o = list.FromJson(patch, base);
      list.Validate(o);
      return std::make_unique<Trainer>(r.env, o, r.steps);
    });
    RunAndPrint(*trainer, r, common->json);
  });
  return cmd;
}

// SAC's --learning-rate: the actor's, the critics' and the temperature's unless given one by one.
void SetLearningRates(const CLI::App* cmd, nlohmann::json& patch) {
  if (cmd->count("--learning-rate") == 0) return;
  const double lr = cmd->get_option("--learning-rate")->as<double>();
  for (const char* field : {"actor_learning_rate", "critic_learning_rate", "temperature_learning_rate"}) {
    if (!patch.contains(field)) patch[field] = lr;
  }
}

// `cai train pets`: PETS, MPPI through a learned probabilistic ensemble. Beyond its options'
// flags: --episodes (sets --steps) and --start (the initial state by name).
void AddTrainPets(CLI::App& train) {
  struct PetsArgs {
    CommonArgs common = Defaults("Pendulum-v1", 2000);
    int episodes = 10;
    std::string start = "hanging";
  };
  auto args = std::make_shared<PetsArgs>();
  CLI::App* cmd = train.add_subcommand("pets", "PETS: MPPI through a learned probabilistic ensemble (model-based)");
  auto& a = *args;
  const int episode_length = planning::PetsOptions{}.episode_length;
  a.common.run.checkpoint_interval = episode_length;
  a.common.run.eval_interval = 0;
  a.common.run.eval_episodes = 1;
  a.common.run.log_interval = episode_length;
  AddCommonFlags(cmd, a.common, "Pendulum-v1");
  cmd->add_option("--episodes", a.episodes, "episodes in all, random ones included (sets --steps)")->capture_default_str();
  cmd->add_option("--start", a.start, "start state of every episode: hanging (theta = pi, at rest) or reset (Gymnasium's)")->capture_default_str();
  auto flags = std::make_shared<OptionFlags>(cmd, planning::PetsOptionList().Infos(), std::vector<std::string>{"initial_state"});
  cmd->callback([args, cmd, flags]() {
    PetsArgs& f = *args;
    ResolvedRun r =
        ResolveCommon(cmd, f.common, "pets", {"--episodes", "--seed", "--start", "--episode-length", "--random-episodes"});
    planning::PetsOptions o = planning::PetsOptionsFromJson(r.options, planning::PetsOptions{});
    if (!r.resuming && !r.options.contains("initial_state")) {
      o.initial_state = {std::numbers::pi, 0.0};  // the command's default start: hanging
    }
    if (cmd->count("--start")) {
      if (f.start == "hanging") {
        if (r.env != "Pendulum-v1") throw Error(fmt::format("--start: hanging is defined for Pendulum-v1 only (--env is {})", r.env));
        o.initial_state = {std::numbers::pi, 0.0};
      } else if (f.start == "reset") {
        o.initial_state.clear();
      } else {
        throw Error(fmt::format("--start: \"{}\" is invalid (expected hanging or reset)", f.start));
      }
    }
    o = flags->Apply(planning::PetsOptionList(), o);
    if (cmd->count("--episodes")) {
      if (f.episodes < 1) throw Error(fmt::format("--episodes: {} is invalid (expected an integer >= 1)", f.episodes));
      r.steps = static_cast<std::int64_t>(f.episodes) * o.episode_length;
    } else if (!r.resuming && !cmd->count("--steps") && r.steps == f.common.steps) {
      r.steps = static_cast<std::int64_t>(f.episodes) * o.episode_length;  // --episodes' default
    }
    if (!r.resuming) {
      // Checkpoints and logs once per episode unless asked otherwise (the defaults follow --episode-length).
      if (!cmd->count("--checkpoint-every") && r.run.checkpoint_interval == f.common.run.checkpoint_interval) {
        r.run.checkpoint_interval = o.episode_length;
      }
      if (!cmd->count("--log-every") && r.run.log_interval == f.common.run.log_interval) r.run.log_interval = o.episode_length;
    }
    auto trainer = flags->Named([&] { return std::make_unique<planning::PetsTrainer>(r.env, o, r.steps); });
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
  CLI::App* sac = AddTrainer<rl::SacTrainer>(*train, "sac", "Soft Actor-Critic (twin critics, automatic temperature)",
                                             "sac", rl::SacOptionList(), Defaults("Pendulum-v1", 20000),
                                             "Pendulum-v1, MountainCarContinuous-v0", {"--seed", "--hidden", "--batch"},
                                             SetLearningRates);
  sac->add_option("--learning-rate", "actor, critic and temperature learning rate (sets all three)");
  AddTrainer<rl::SoftQTrainer>(*train, "soft-q", "soft Q-learning with a Q network (soft DQN), discrete actions",
                               "soft_q", rl::SoftQOptionList(), Defaults("CartPole-v1", 50000), "CartPole-v1, Acrobot-v1",
                               {"--seed", "--hidden", "--batch", "--prior"});
  AddTrainer<rl::ActorCriticTrainer>(
      *train, "maxent-pg", "MaxEnt actor-critic (A2C with an entropy or KL-to-prior bonus, GAE, vector environments)",
      "actor_critic", rl::ActorCriticOptionList(), Defaults("CartPole-v1", 200000),
      "CartPole-v1, Acrobot-v1, Pendulum-v1, MountainCarContinuous-v0",
      {"--seed", "--hidden", "--num-envs", "--n-steps", "--prior"});
  AddTrainPets(*train);
  AddEval(app);
}

}  // namespace cai::cli
