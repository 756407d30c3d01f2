#include "cai/planning/pets.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/options.h"
#include "cai/core/rng.h"
#include "cai/nn/mlp_safetensors.h"
#include "cai/nn/safetensors.h"

namespace cai::planning {
namespace {

// A 64-bit seed for stream `tag` (and index `i`) of the run seeded with `seed`: splitmix64 from
// seed + gamma * tag + 0xbf58476d1ce4e5b9 * i (it adds the golden gamma once more itself).
std::uint64_t DeriveSeed(std::uint64_t seed, std::uint64_t tag, std::uint64_t i = 0) {
  std::uint64_t state = seed + 0x9e3779b97f4a7c15ULL * tag + 0xbf58476d1ce4e5b9ULL * i;
  return SplitMix64(state);
}

double WrapAngle(double x) {
  const double two_pi = 2.0 * std::numbers::pi;
  return x - two_pi * std::floor((x + std::numbers::pi) / two_pi);
}

// The first dimension of a saved tensor whose length varies (the data set, the episodes).
std::int64_t LeadingDim(const nn::SafetensorsFile& file, const std::string& name) {
  const auto it = file.tensors.find(name);
  if (it == file.tensors.end() || it->second.shape.empty() || it->second.shape[0] < 0) {
    throw Error(fmt::format("checkpoint: tensor \"{}\" is missing or has no leading dimension", name));
  }
  return it->second.shape[0];
}

using Json = nlohmann::json;

// The model's fields as PETS options (their rules are ValidateEnsembleOptions'; its seed is derived).
const OptionList<EnsembleOptions>& EnsembleOptionList() {
  using O = EnsembleOptions;
  static const OptionList<O> list = [] {
    OptionList<O> t("ensemble", "EnsembleOptions");
    t.Add("members", &O::members, "ensemble members E")
        .Add("hidden", &O::hidden, "hidden layer sizes of each member")
        .Choice("activation", &O::activation, "hidden activation", nn::ActivationChoices())
        .Add("learning_rate", &O::learning_rate, "Adam learning rate of the model")
        .Add("batch_size", &O::batch_size, "model minibatch size")
        .Flag("batch")
        .Add("gradient_steps", &O::gradient_steps, "gradient steps per member per fit")
        .Add("weight_decay", &O::weight_decay, "L2 coefficient of the model")
        .Add("min_log_variance", &O::min_log_variance, "lower bound of the standardised log-variance")
        .Flag("min-log-var")
        .Add("max_log_variance", &O::max_log_variance, "upper bound of the standardised log-variance")
        .Flag("max-log-var")
        .Add("bootstrap", &O::bootstrap, "train each member on its own bootstrap resample")
        .Flag("no-bootstrap", false);
    return t;
  }();
  return list;
}

}  // namespace

const OptionList<PetsOptions>& PetsOptionList() {
  using O = PetsOptions;
  static const OptionList<O> list = [] {
    const auto positive = AtLeastOne();
    OptionList<O> t("pets", "PetsOptions");
    t.Add("random_episodes", &O::random_episodes, "episodes of random actions before the first fit", positive)
        .Add("episode_length", &O::episode_length, "steps per episode", positive)
        .Add("initial_state", &O::initial_state, "start state of every episode (none: the seeded reset)",
             Each(Rule<double>([](double x) { return std::isfinite(x); }, "a finite number")))
        .Choice("reward", &O::reward, "reward in planning: the task's (known) or a model output (learned)",
                {{RewardSource::kKnown, "known"}, {RewardSource::kLearned, "learned"}})
        .Add("refit_every", &O::refit_every, "planned episodes between model fits", positive)
        .Add("seed", &O::seed, "seed of every random draw")
        .Nest(&O::ensemble, EnsembleOptionList(), {}, false)
        .Nest(&O::mppi, MppiOptionList(), {"samples", "horizon", "temperature", "noise_std", "iterations", "threads"},
              false);
    return t;
  }();
  return list;
}

void ValidatePetsOptions(const PetsOptions& o, const BatchedDynamics& model) {
  PetsOptionList().Validate(o);
  if (!o.initial_state.empty() && o.initial_state.size() != static_cast<std::size_t>(model.state_dim())) {
    ThrowInvalidOption({"initial_state", fmt::format("[{} entries]", o.initial_state.size()),
                        fmt::format("empty or {} numbers (the state of {})", model.state_dim(), model.name())},
                       "PetsOptions");
  }
  ValidateEnsembleOptions(o.ensemble);
  ValidateMppiOptions(o.mppi, model);
}

nlohmann::json PetsOptionsToJson(const PetsOptions& o) { return PetsOptionList().ToJson(o); }

PetsOptions PetsOptionsFromJson(const nlohmann::json& json, const PetsOptions& base) {
  return PetsOptionList().FromJson(json, base);
}

std::vector<std::string> PetsEnvironmentNames() { return {"Pendulum-v1"}; }

std::vector<int> PetsAngleDims(std::string_view env) {
  if (env == "Pendulum-v1") return {0};
  return {};
}

void TransitionDataset::Add(std::span<const double> state, std::span<const double> action, double reward,
                            std::span<const double> next_state) {
  for (double v : state) states.push_back(static_cast<float>(v));
  for (double v : action) actions.push_back(static_cast<float>(v));
  rewards.push_back(static_cast<float>(reward));
  for (double v : next_state) next_states.push_back(static_cast<float>(v));
}

void TransitionDataset::ToTrainingData(const ModelFeatures& features, bool learned_reward, nn::Matrix& inputs,
                                       nn::Matrix& targets) const {
  const std::size_t n = size();
  const int s = state_dim, a = action_dim;
  inputs.resize(features.input_dim(), static_cast<Eigen::Index>(n));
  targets.resize(s + (learned_reward ? 1 : 0), static_cast<Eigen::Index>(n));
  // The rows of the dataset are (array of structures): one system per call, stride 1.
  nn::Matrix column(features.input_dim(), 1);
  for (std::size_t k = 0; k < n; ++k) {
    features.Write(ConstBatchView{states.data() + k * s, 1}, ConstBatchView{actions.data() + k * a, 1}, 1, column);
    inputs.col(static_cast<Eigen::Index>(k)) = column.col(0);
    for (int i = 0; i < s; ++i) targets(i, static_cast<Eigen::Index>(k)) = next_states[k * s + i] - states[k * s + i];
    if (learned_reward) targets(s, static_cast<Eigen::Index>(k)) = rewards[k];
  }
}

namespace {

class PetsPolicy final : public run::Policy {
 public:
  PetsPolicy(const nn::SafetensorsFile& file, const std::string& env, const PetsOptions& o)
      : true_model_(MakeBatchedDynamics(env)) {
    const int s = true_model_->state_dim(), a = true_model_->action_dim();
    const auto low = true_model_->action_low(), high = true_model_->action_high();
    ModelFeatures features(s, a, PetsAngleDims(env), {low.begin(), low.end()}, {high.begin(), high.end()});
    ensemble_ = std::make_unique<ProbabilisticEnsemble>(
        features.input_dim(), s + (o.reward == RewardSource::kLearned ? 1 : 0), o.ensemble);
    ensemble_->Restore(file, "model");
    model_ = std::make_unique<EnsembleDynamics>(*ensemble_, *true_model_, std::move(features), o.reward, o.mppi.threads);
    MppiOptions m = o.mppi;
    m.seed = o.seed;
    planner_ = std::make_unique<Mppi>(*model_, m);
    state_.resize(s);
  }
  void Act(std::span<const float> observation, std::span<double> action) override {
    // Pendulum-v1 (the only supported environment): observation (cos theta, sin theta, theta_dot).
    state_[0] = std::atan2(static_cast<double>(observation[1]), static_cast<double>(observation[0]));
    state_[1] = observation[2];
    planner_->Plan(state_, action);
  }

 private:
  std::unique_ptr<BatchedDynamics> true_model_;
  std::unique_ptr<ProbabilisticEnsemble> ensemble_;
  std::unique_ptr<EnsembleDynamics> model_;
  std::unique_ptr<Mppi> planner_;
  std::vector<double> state_;
};

}  // namespace

std::unique_ptr<run::Policy> LoadPetsPolicy(const nn::SafetensorsFile& file) {
  const auto env_it = file.metadata.find("env");
  const auto options_it = file.metadata.find("pets.options");
  if (env_it == file.metadata.end() || options_it == file.metadata.end()) {
    throw Error("policy file: metadata \"env\" or \"pets.options\" is missing (expected a file written by cai train pets)");
  }
  const auto names = PetsEnvironmentNames();
  if (std::find(names.begin(), names.end(), env_it->second) == names.end()) {
    throw Error(fmt::format("policy file: env \"{}\" is not supported by pets (expected one of: {})", env_it->second,
                            fmt::join(names, ", ")));
  }
  const Json j = Json::parse(options_it->second, nullptr, false);
  if (j.is_discarded()) throw Error("policy file: metadata \"pets.options\" is not JSON");
  return std::make_unique<PetsPolicy>(file, env_it->second, PetsOptionsFromJson(j));
}

// ---------------------------------------------------------------------------------------------
// PetsTrainer

PetsTrainer::PetsTrainer(std::string environment, const PetsOptions& options, std::int64_t total_steps)
    : env_name_(std::move(environment)), options_(options), total_steps_(total_steps), rng_(DeriveSeed(options.seed, 0)) {
  const auto names = PetsEnvironmentNames();
  if (std::find(names.begin(), names.end(), env_name_) == names.end()) {
    ThrowInvalidOption({"env", fmt::format("\"{}\"", env_name_),
                        fmt::format("one of: {}", fmt::join(names, ", "))});
  }
  if (total_steps < 1) throw Error(fmt::format("--steps: {} is invalid (expected an integer >= 1)", total_steps));
  env_ = env::MakeEnvironment(env_name_);
  eval_env_ = env::MakeEnvironment(env_name_);
  true_model_ = MakeBatchedDynamics(env_name_);
  ValidatePetsOptions(options_, *true_model_);
  const int s = true_model_->state_dim(), a = true_model_->action_dim();
  if (env_->state_dim() != s || env_->action_dim() != a) {
    throw Error(fmt::format("pets: {} has {} states and {} actions but its batched model {} and {}", env_name_,
                            env_->state_dim(), env_->action_dim(), s, a));
  }
  env_->set_max_episode_steps(options_.episode_length);
  eval_env_->set_max_episode_steps(options_.episode_length);
  angle_dims_ = PetsAngleDims(env_name_);
  const auto low = true_model_->action_low(), high = true_model_->action_high();
  ModelFeatures features(s, a, angle_dims_, {low.begin(), low.end()}, {high.begin(), high.end()});
  EnsembleOptions eo = options_.ensemble;
  eo.seed = DeriveSeed(options_.seed, 1);
  const bool learned = options_.reward == RewardSource::kLearned;
  ensemble_ = std::make_unique<ProbabilisticEnsemble>(features.input_dim(), s + (learned ? 1 : 0), eo);
  model_ = std::make_unique<EnsembleDynamics>(*ensemble_, *true_model_, std::move(features), options_.reward,
                                              options_.mppi.threads);
  dataset_.state_dim = s;
  dataset_.action_dim = a;
  observation_.resize(env_->observation_dim());
  action_.resize(a);
  StartEpisode(*env_, DeriveSeed(options_.seed, 2), observation_);
}

PetsTrainer::~PetsTrainer() = default;

void PetsTrainer::StartEpisode(env::Environment& env, std::optional<std::uint64_t> seed,
                               std::vector<float>& observation) const {
  env.Reset(seed, observation);
  if (!options_.initial_state.empty()) env.SetState(options_.initial_state);
}

std::unique_ptr<Mppi> PetsTrainer::MakePlanner(std::uint64_t seed) const {
  MppiOptions o = options_.mppi;
  o.seed = seed;
  return std::make_unique<Mppi>(*model_, o);
}

void PetsTrainer::Track(PetsEpisodeOutcome& o, std::span<const double> state, int t) const {
  if (angle_dims_.empty()) return;
  const bool upright = std::abs(WrapAngle(state[angle_dims_[0]])) < 0.2;
  if (upright) {
    ++o.upright_steps;
    if (o.upright_from < 0) o.upright_from = t;
  } else {
    o.upright_from = -1;
  }
}

void PetsTrainer::Refit() {
  nn::Matrix inputs, targets;
  dataset_.ToTrainingData(model_->features(), options_.reward == RewardSource::kLearned, inputs, targets);
  last_fit_ = ensemble_->Fit(inputs, targets);
  if (!last_fit_.converged) throw Error(fmt::format("pets: model fit failed: {}", last_fit_.BriefReport()));
}

std::span<const run::EpisodeStats> PetsTrainer::Step() {
  const bool planning = episodes_ >= options_.random_episodes && ensemble_->fitted();
  if (episode_length_ == 0) {
    current_ = PetsEpisodeOutcome{};
    if (planning) planner_ = MakePlanner(DeriveSeed(options_.seed, 3, static_cast<std::uint64_t>(episodes_)));
  }
  const std::vector<double> state = env_->state();
  if (planning) {
    planner_->Plan(state, action_);
  } else {
    const auto low = true_model_->action_low(), high = true_model_->action_high();
    for (std::size_t i = 0; i < action_.size(); ++i) action_[i] = low[i] + (high[i] - low[i]) * rng_.Uniform();
  }
  const env::StepResult r = env_->Step(action_, observation_);
  const std::vector<double> next_state = env_->state();
  // The data hold the action the simulator applied (clipped to the bounds).
  const auto low = true_model_->action_low(), high = true_model_->action_high();
  for (std::size_t i = 0; i < action_.size(); ++i) action_[i] = std::clamp<double>(action_[i], low[i], high[i]);
  dataset_.Add(state, action_, r.reward, next_state);
  ++step_;
  ++episode_length_;
  current_.episodic_return += r.reward;
  current_.length = episode_length_;
  Track(current_, next_state, episode_length_);
  if (!(r.terminated || r.truncated || episode_length_ >= options_.episode_length)) return {};
  finished_ = run::EpisodeStats{step_, current_.episodic_return, episode_length_, r.truncated && !r.terminated};
  outcomes_.push_back(current_);
  ++episodes_;
  episode_length_ = 0;
  planner_.reset();
  const std::int64_t planned = episodes_ - options_.random_episodes;
  if (planned >= 0 && planned % options_.refit_every == 0) Refit();
  StartEpisode(*env_, std::nullopt, observation_);
  return {&finished_, 1};
}

std::vector<std::pair<std::string, double>> PetsTrainer::Scalars() const {
  std::vector<std::pair<std::string, double>> out;
  if (!outcomes_.empty()) {
    const PetsEpisodeOutcome& o = outcomes_.back();
    out.emplace_back("pets/episode_return", o.episodic_return);
    if (!angle_dims_.empty()) {
      out.emplace_back("pets/upright_steps", o.upright_steps);
      out.emplace_back("pets/upright_from", o.upright_from);
    }
  }
  if (ensemble_->fitted()) {
    out.emplace_back("losses/model_nll", last_fit_.final_nll);
    out.emplace_back("losses/model_mse", last_fit_.final_mse);
    out.emplace_back("pets/dataset_size", static_cast<double>(dataset_.size()));
  }
  return out;
}

run::EvaluationResult PetsTrainer::Evaluate(int episodes, std::uint64_t seed) {
  if (episodes < 1) throw Error(fmt::format("episodes: {} is invalid (expected an integer >= 1)", episodes));
  run::EvaluationResult result;
  last_evaluation_.clear();
  Rng random(seed);
  std::vector<float> observation(eval_env_->observation_dim());
  std::vector<double> action(action_.size());
  const auto low = true_model_->action_low(), high = true_model_->action_high();
  for (int e = 0; e < episodes; ++e) {
    StartEpisode(*eval_env_, e == 0 ? std::optional<std::uint64_t>(seed) : std::nullopt, observation);
    std::unique_ptr<Mppi> planner = ensemble_->fitted() ? MakePlanner(seed + static_cast<std::uint64_t>(e)) : nullptr;
    PetsEpisodeOutcome o;
    for (int t = 1;; ++t) {
      if (planner) {
        planner->Plan(eval_env_->state(), action);
      } else {
        for (std::size_t i = 0; i < action.size(); ++i) action[i] = low[i] + (high[i] - low[i]) * random.Uniform();
      }
      const env::StepResult r = eval_env_->Step(action, observation);
      o.episodic_return += r.reward;
      o.length = t;
      Track(o, eval_env_->state(), t);
      if (r.terminated || r.truncated || t >= options_.episode_length) break;
    }
    last_evaluation_.push_back(o);
    result.returns.push_back(o.episodic_return);
    result.lengths.push_back(o.length);
  }
  run::SummarizeReturns(result);
  return result;
}

nlohmann::json PetsTrainer::Config() const {
  return {{"algorithm", "pets"}, {"env", env_name_}, {"steps", total_steps_}, {"pets", PetsOptionsToJson(options_)}};
}

void PetsTrainer::SavePolicy(nn::SafetensorsFile& file) const {
  ensemble_->Save(file, "model");
  file.metadata["algorithm"] = "pets";
  file.metadata["env"] = env_name_;
  file.metadata["pets.options"] = PetsOptionsToJson(options_).dump();
}

void PetsTrainer::SaveCheckpoint(nn::SafetensorsFile& file) const {
  if (!can_checkpoint()) throw Error("PetsTrainer: checkpoints are taken at episode boundaries only");
  ensemble_->Save(file, "pets.model");
  const auto n = static_cast<std::int64_t>(dataset_.size());
  const std::int64_t s = dataset_.state_dim, a = dataset_.action_dim;
  file.tensors["pets.data.states"] = nn::Tensor::FromFloats(dataset_.states, {n, s});
  file.tensors["pets.data.actions"] = nn::Tensor::FromFloats(dataset_.actions, {n, a});
  file.tensors["pets.data.rewards"] = nn::Tensor::FromFloats(dataset_.rewards, {n});
  file.tensors["pets.data.next_states"] = nn::Tensor::FromFloats(dataset_.next_states, {n, s});
  nn::PutRngState(file, "pets.rng", rng_.SaveState());
  // Outcomes (return, length, upright_from, upright_steps) and the last fit, for Scalars().
  std::vector<double> outcomes;
  for (const PetsEpisodeOutcome& o : outcomes_) {
    outcomes.insert(outcomes.end(), {o.episodic_return, static_cast<double>(o.length),
                                     static_cast<double>(o.upright_from), static_cast<double>(o.upright_steps)});
  }
  file.tensors["pets.outcomes"] =
      nn::Tensor::FromDoubles(outcomes, {static_cast<std::int64_t>(outcomes_.size()), 4});
  const double fit[] = {last_fit_.initial_nll, last_fit_.final_nll, last_fit_.final_mse};
  file.tensors["pets.last_fit"] = nn::Tensor::FromDoubles(fit, {3});
  run::SaveEpisodeStart(file, *env_, observation_, step_, episodes_);
  file.metadata["algorithm"] = "pets";
  file.metadata["env"] = env_name_;
  file.metadata["pets.options"] = PetsOptionsToJson(options_).dump();
  file.metadata["config"] = Config().dump();
}

void PetsTrainer::RestoreCheckpoint(const nn::SafetensorsFile& file) {
  run::CheckCheckpointOwner(file, "pets", env_name_);
  run::CheckCheckpointOptions(file, "pets.options", "pets", PetsOptionsToJson(options_).dump());
  ensemble_->Restore(file, "pets.model");
  const std::int64_t n = LeadingDim(file, "pets.data.rewards");
  const std::int64_t n_shape[] = {n};
  const auto rewards = nn::RequireTensor(file, "pets.data.rewards", nn::DType::kF32, n_shape).ToFloats();
  const std::int64_t s = dataset_.state_dim, a = dataset_.action_dim;
  const std::int64_t ns[] = {n, s}, na[] = {n, a}, three[] = {3};
  dataset_.states = nn::RequireTensor(file, "pets.data.states", nn::DType::kF32, ns).ToFloats();
  dataset_.actions = nn::RequireTensor(file, "pets.data.actions", nn::DType::kF32, na).ToFloats();
  dataset_.next_states = nn::RequireTensor(file, "pets.data.next_states", nn::DType::kF32, ns).ToFloats();
  dataset_.rewards = rewards;
  rng_.RestoreState(nn::GetRngState(file, "pets.rng"));
  const std::int64_t outcome_shape[] = {LeadingDim(file, "pets.outcomes"), 4};
  const auto outcomes = nn::RequireTensor(file, "pets.outcomes", nn::DType::kF64, outcome_shape).ToDoubles();
  outcomes_.clear();
  for (std::size_t i = 0; i + 4 <= outcomes.size(); i += 4) {
    outcomes_.push_back(PetsEpisodeOutcome{outcomes[i], static_cast<int>(outcomes[i + 1]),
                                           static_cast<int>(outcomes[i + 2]), static_cast<int>(outcomes[i + 3])});
  }
  const auto fit = nn::RequireTensor(file, "pets.last_fit", nn::DType::kF64, three).ToDoubles();
  last_fit_ = EnsembleFitSummary{};
  last_fit_.Finish(TerminationType::kBudgetReached, "restored from a checkpoint");
  last_fit_.initial_nll = fit[0];
  last_fit_.final_nll = last_fit_.final_residual = fit[1];
  last_fit_.final_mse = fit[2];
  run::RestoreEpisodeStart(file, *env_, observation_, total_steps_, step_, episodes_);
  episode_length_ = 0;
  planner_.reset();
}

}  // namespace cai::planning
