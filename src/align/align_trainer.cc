#include "cai/align/align_trainer.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/align/exact_posterior.h"
#include "cai/core/error.h"
#include "cai/nn/safetensors.h"

namespace cai::align {

void ValidateAlignProblemOptions(const AlignProblemOptions& o) {
  ValidateTokenWorldOptions(o.world);
  if (!(std::isfinite(o.teacher_scale) && o.teacher_scale >= 0.0)) {
    throw Error(fmt::format("teacher_scale: {} is invalid (expected a finite number >= 0)", o.teacher_scale));
  }
  if (o.corpus_per_prompt < 1) {
    throw Error(fmt::format("corpus_per_prompt: {} is invalid (expected an integer >= 1)", o.corpus_per_prompt));
  }
  if (!(std::isfinite(o.smoothing) && o.smoothing > 0.0)) {
    throw Error(fmt::format("smoothing: {} is invalid (expected a finite number > 0, so that pi_ref > 0)",
                            o.smoothing));
  }
  if (o.reward != "length" && o.reward != "count" && o.reward != "random") {
    throw Error(fmt::format("reward: \"{}\" is unknown (expected length, count or random)", o.reward));
  }
  if (o.reward_model_pairs < 0) {
    throw Error(fmt::format("reward_model_pairs: {} is invalid (expected an integer >= 0; 0 = the true reward)",
                            o.reward_model_pairs));
  }
}

double CentredRewardRmsError(const TokenWorld& world, std::span<const double> a, std::span<const double> b) {
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  double sum = 0.0;
  for (std::size_t base = 0; base < a.size(); base += r_count) {
    double mean = 0.0;
    for (std::size_t y = 0; y < r_count; ++y) mean += (a[base + y] - b[base + y]) / static_cast<double>(r_count);
    for (std::size_t y = 0; y < r_count; ++y) {
      const double e = a[base + y] - b[base + y] - mean;
      sum += e * e;
    }
  }
  return std::sqrt(sum / static_cast<double>(a.size()));
}

AlignProblem MakeAlignProblem(const AlignProblemOptions& options) {
  ValidateAlignProblemOptions(options);
  const TokenWorld world(options.world);
  Rng rng(options.seed);
  const TabularPolicy teacher = RandomPolicy(world, options.teacher_scale, rng);
  const std::vector<CorpusEntry> corpus = SampleCorpus(teacher, options.corpus_per_prompt, rng);
  TabularPolicy reference = FitMaximumLikelihood(world, corpus, options.smoothing);
  std::vector<double> reference_log_probs = reference.ResponseLogProbs();
  std::vector<double> true_reward = MakeReward(world, options.reward, options.seed + 1);
  std::vector<double> reward = true_reward;
  double error = 0.0;
  if (options.reward_model_pairs > 0) {
    // Its own stream (seed + 2), so that the reference and R do not depend on the pair count.
    Rng pair_rng(options.seed + 2);
    const std::vector<PreferencePair> pairs =
        SamplePreferencePairs(world, reference_log_probs, true_reward, options.reward_model_pairs, pair_rng);
    reward = FitRewardModel(world, PairWeights(world, pairs), kRewardModelSteps, kRewardModelLearningRate);
    error = CentredRewardRmsError(world, reward, true_reward);
  }
  return {world,          std::move(reference),   std::move(reference_log_probs), std::move(reward),
          std::move(true_reward), error};
}

std::string AlignMethodName(AlignMethod method) {
  switch (method) {
    case AlignMethod::kPpo: return "ppo";
    case AlignMethod::kDpo: return "dpo";
    case AlignMethod::kIpo: return "ipo";
  }
  return "?";
}

AlignMethod ParseAlignMethod(const std::string& name) {
  if (name == "ppo") return AlignMethod::kPpo;
  if (name == "dpo") return AlignMethod::kDpo;
  if (name == "ipo") return AlignMethod::kIpo;
  throw Error(fmt::format("method: \"{}\" is unknown (expected ppo, dpo or ipo)", name));
}

void ValidateAlignOptions(const AlignOptions& o) {
  ValidateBeta(o.beta);
  if (o.steps < 0) throw Error(fmt::format("steps: {} is invalid (expected an integer >= 0)", o.steps));
  ValidateAdamOptions(AdamOptions{o.learning_rate});
  if (o.pairs_per_prompt < 0) {
    throw Error(fmt::format("pairs_per_prompt: {} is invalid (expected >= 0; 0 = population loss)", o.pairs_per_prompt));
  }
  if (o.samples_per_prompt < 0) {
    throw Error(fmt::format("samples_per_prompt: {} is invalid (expected >= 0; 0 = exact expectation)",
                            o.samples_per_prompt));
  }
  if (o.epochs < 1) throw Error(fmt::format("epochs: {} is invalid (expected an integer >= 1)", o.epochs));
  if (!(o.clip > 0.0 && o.clip < 1.0)) {
    throw Error(fmt::format("clip: {} is invalid (expected a number in (0, 1))", o.clip));
  }
}

AlignTrainer::AlignTrainer(const AlignProblem& problem, const AlignOptions& options)
    : problem_(problem),
      options_(options),
      policy_(problem.reference),
      adam_(problem.reference.logits().size(), AdamOptions{options.learning_rate}),
      rng_(options.seed) {
  ValidateAlignOptions(options);
  sampler_log_probs_ = SamplerLogProbs(problem.world, options.sampler, problem.reference_log_probs);
  if (options.method != AlignMethod::kPpo) {
    pair_weights_ = options.pairs_per_prompt > 0
                        ? PairWeights(problem.world, SamplePreferencePairs(problem.world, sampler_log_probs_, problem.reward,
                                                                           options.pairs_per_prompt, rng_))
                        : PopulationPairWeights(problem.world, sampler_log_probs_, problem.reward);
  }
  target_ = options.method == AlignMethod::kIpo
                ? IpoOptimum(problem.world, problem.reference_log_probs, sampler_log_probs_, problem.reward, options.beta)
                : EnumeratedPosterior(problem.world, problem.reference_log_probs, problem.reward, options.beta).log_probs;
  true_target_ =
      EnumeratedPosterior(problem.world, problem.reference_log_probs, problem.true_reward, options.beta).log_probs;
}

double AlignTrainer::PreferenceLossAndGradient(std::vector<double>& d_log_probs) const {
  const PreferenceObjective objective{options_.method == AlignMethod::kDpo ? PreferenceLoss::kDpo : PreferenceLoss::kIpo,
                                      options_.beta};
  return WeightedPreferenceLoss(problem_.world, objective, policy_.ResponseLogProbs(), problem_.reference_log_probs,
                                pair_weights_, d_log_probs);
}

// KL-regularised policy gradient with the PPO clipped surrogate. The KL penalty is in the reward,
// per sequence: s(y) = R(x, y) - beta (log pi_old(y|x) - log pi_ref(y|x)); A = s - E_batch[s | x].
// Maximises (1/P) sum_x sum_i w_i min(rho_i A_i, clip(rho_i, 1 - eps, 1 + eps) A_i), rho = pi / pi_old.
// At rho = 1 its gradient is that of E[R] - beta KL(pi || pi_ref) (the -beta grad log pi term has mean 0).
double AlignTrainer::PpoIteration() {
  const TokenWorld& world = problem_.world;
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  const std::vector<double> old_log_probs = policy_.ResponseLogProbs();
  std::vector<double> weight(old_log_probs.size(), 0.0);
  if (options_.samples_per_prompt == 0) {
    for (std::size_t i = 0; i < weight.size(); ++i) weight[i] = std::exp(old_log_probs[i]);
  } else {
    for (int x = 0; x < world.num_prompts(); ++x) {
      for (int i = 0; i < options_.samples_per_prompt; ++i) {
        weight[static_cast<std::size_t>(x) * r_count + static_cast<std::size_t>(policy_.Sample(x, rng_))] +=
            1.0 / options_.samples_per_prompt;
      }
    }
  }
  std::vector<double> advantage(old_log_probs.size(), 0.0);
  for (int x = 0; x < world.num_prompts(); ++x) {
    const std::size_t base = static_cast<std::size_t>(x) * r_count;
    double baseline = 0.0;
    for (std::size_t y = 0; y < r_count; ++y) {
      advantage[base + y] = problem_.reward[base + y] -
                            options_.beta * (old_log_probs[base + y] - problem_.reference_log_probs[base + y]);
      baseline += weight[base + y] * advantage[base + y];
    }
    for (std::size_t y = 0; y < r_count; ++y) advantage[base + y] -= baseline;
  }
  std::vector<double> d_log_probs(old_log_probs.size());
  std::vector<double> d_logits(policy_.logits().size());
  const double scale = 1.0 / world.num_prompts();
  for (int epoch = 0; epoch < options_.epochs; ++epoch) {
    const std::vector<double> log_probs = epoch == 0 ? old_log_probs : policy_.ResponseLogProbs();
    for (std::size_t i = 0; i < log_probs.size(); ++i) {
      d_log_probs[i] = 0.0;
      if (weight[i] == 0.0) continue;
      const double ratio = std::exp(log_probs[i] - old_log_probs[i]);
      const double a = advantage[i];
      // min(rho A, clip(rho) A) follows rho A unless the clip binds on the side that would gain.
      const bool active = a >= 0.0 ? ratio < 1.0 + options_.clip : ratio > 1.0 - options_.clip;
      if (active) d_log_probs[i] = -scale * weight[i] * ratio * a;  // minimise the negated surrogate
    }
    policy_.BackpropResponseLogProbs(d_log_probs, d_logits);
    adam_.Step(policy_.logits(), d_logits);
  }
  const std::vector<double> log_probs = policy_.ResponseLogProbs();
  return -(MeanReward(world, log_probs, problem_.reward) -
           options_.beta * MeanSequenceKl(world, log_probs, problem_.reference_log_probs));
}

AlignMetrics AlignTrainer::Step() {
  if (options_.method == AlignMethod::kPpo) {
    last_loss_ = PpoIteration();
  } else {
    std::vector<double> d_log_probs(problem_.reference_log_probs.size());
    std::vector<double> d_logits(policy_.logits().size());
    last_loss_ = PreferenceLossAndGradient(d_log_probs);
    policy_.BackpropResponseLogProbs(d_log_probs, d_logits);
    adam_.Step(policy_.logits(), d_logits);
  }
  ++steps_done_;
  return Evaluate();
}

AlignMetrics MeasureAlignment(const AlignProblem& problem, std::span<const double> log_probs,
                              std::span<const double> target, std::span<const double> true_target, int step,
                              double loss) {
  AlignMetrics m;
  m.step = step;
  m.loss = loss;
  m.reward = MeanReward(problem.world, log_probs, problem.reward);
  m.kl_reference = MeanSequenceKl(problem.world, log_probs, problem.reference_log_probs);
  m.kl_target = MeanSequenceKl(problem.world, log_probs, target);
  m.true_reward = MeanReward(problem.world, log_probs, problem.true_reward);
  m.kl_true_target = MeanSequenceKl(problem.world, log_probs, true_target);
  return m;
}

AlignMetrics AlignTrainer::Evaluate() const {
  return MeasureAlignment(problem_, policy_.ResponseLogProbs(), target_, true_target_, steps_done_, last_loss_);
}

nlohmann::json AlignTrainer::Checkpoint() const {
  const RngState rng = rng_.SaveState();
  return {{"format", "cai.align_checkpoint/1"},
          {"steps_done", steps_done_},
          {"last_loss", last_loss_},
          {"logits", policy_.logits()},
          {"adam_steps", adam_.steps()},
          {"adam_m", std::vector<double>(adam_.first_moment().begin(), adam_.first_moment().end())},
          {"adam_v", std::vector<double>(adam_.second_moment().begin(), adam_.second_moment().end())},
          {"rng_words", rng.words},
          {"rng_has_cached_normal", rng.has_cached_normal},
          {"rng_cached_normal", rng.cached_normal}};
}

void AlignTrainer::Restore(const nlohmann::json& c) {
  try {
    if (c.at("format") != "cai.align_checkpoint/1") throw Error("format is not cai.align_checkpoint/1");
    auto logits = c.at("logits").get<std::vector<double>>();
    if (logits.size() != policy_.logits().size()) {
      throw Error(fmt::format("logits: {} entries (expected {})", logits.size(), policy_.logits().size()));
    }
    const auto m = c.at("adam_m").get<std::vector<double>>();
    const auto v = c.at("adam_v").get<std::vector<double>>();
    adam_.RestoreState(c.at("adam_steps").get<long long>(), m, v);
    RngState rng;
    rng.words = c.at("rng_words").get<std::array<std::uint64_t, 4>>();
    rng.has_cached_normal = c.at("rng_has_cached_normal").get<bool>();
    rng.cached_normal = c.at("rng_cached_normal").get<double>();
    rng_.RestoreState(rng);
    policy_.logits() = std::move(logits);
    steps_done_ = c.at("steps_done").get<int>();
    last_loss_ = c.at("last_loss").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("align checkpoint: {}", e.what()));
  }
}

void AlignTrainer::SaveState(nn::SafetensorsFile& file) const {
  const auto n = static_cast<std::int64_t>(policy_.logits().size());
  file.tensors["align.logits"] = nn::Tensor::FromDoubles(policy_.logits(), {n});
  file.tensors["align.adam_m"] = nn::Tensor::FromDoubles(adam_.first_moment(), {n});
  file.tensors["align.adam_v"] = nn::Tensor::FromDoubles(adam_.second_moment(), {n});
  const std::int64_t counters[] = {steps_done_, adam_.steps()};
  file.tensors["align.counters"] = nn::Tensor::FromInt64(counters, {2});
  const double loss[] = {last_loss_};
  file.tensors["align.last_loss"] = nn::Tensor::FromDoubles(loss, {1});
  nn::PutRngState(file, "align.rng", rng_.SaveState());
}

void AlignTrainer::RestoreState(const nn::SafetensorsFile& file) {
  const std::int64_t n[] = {static_cast<std::int64_t>(policy_.logits().size())}, one[] = {1}, two[] = {2};
  auto logits = nn::RequireTensor(file, "align.logits", nn::DType::kF64, n).ToDoubles();
  const auto m = nn::RequireTensor(file, "align.adam_m", nn::DType::kF64, n).ToDoubles();
  const auto v = nn::RequireTensor(file, "align.adam_v", nn::DType::kF64, n).ToDoubles();
  const auto counters = nn::RequireTensor(file, "align.counters", nn::DType::kI64, two).ToInt64();
  const auto loss = nn::RequireTensor(file, "align.last_loss", nn::DType::kF64, one).ToDoubles();
  if (counters[0] < 0 || counters[0] > options_.steps) {
    throw Error(fmt::format("checkpoint: step {} is outside this run's [0, {}] steps", counters[0], options_.steps));
  }
  const RngState rng = nn::GetRngState(file, "align.rng");
  adam_.RestoreState(counters[1], m, v);
  rng_.RestoreState(rng);
  policy_.logits() = std::move(logits);
  steps_done_ = static_cast<int>(counters[0]);
  last_loss_ = loss[0];
}

nlohmann::json AlignRunConfig(const AlignProblemOptions& p, const AlignOptions& o) {
  return {{"format", "cai.align_run/1"},
          {"algorithm", "align"},
          {"problem",
           {{"prompts", p.world.num_prompts}, {"vocab", p.world.vocab_size}, {"max_length", p.world.max_length},
            {"reward", p.reward}, {"teacher_scale", p.teacher_scale}, {"corpus_per_prompt", p.corpus_per_prompt},
            {"smoothing", p.smoothing}, {"seed", p.seed}, {"reward_model_pairs", p.reward_model_pairs}}},
          {"align",
           {{"method", AlignMethodName(o.method)}, {"beta", o.beta}, {"steps", o.steps},
            {"learning_rate", o.learning_rate}, {"seed", o.seed}, {"pairs_per_prompt", o.pairs_per_prompt},
            {"sampler", PairSamplerName(o.sampler)}, {"samples_per_prompt", o.samples_per_prompt},
            {"epochs", o.epochs}, {"clip", o.clip}}}};
}

void AlignRunConfigFromJson(const nlohmann::json& j, AlignProblemOptions& problem, AlignOptions& options) {
  try {
    const auto& p = j.at("problem");
    problem.world = {p.at("prompts").get<int>(), p.at("vocab").get<int>(), p.at("max_length").get<int>()};
    problem.reward = p.at("reward").get<std::string>();
    problem.teacher_scale = p.at("teacher_scale").get<double>();
    problem.corpus_per_prompt = p.at("corpus_per_prompt").get<int>();
    problem.smoothing = p.at("smoothing").get<double>();
    problem.seed = p.at("seed").get<std::uint64_t>();
    problem.reward_model_pairs = p.value("reward_model_pairs", 0);  // absent in runs made before the option
    const auto& o = j.at("align");
    options.method = ParseAlignMethod(o.at("method").get<std::string>());
    options.beta = o.at("beta").get<double>();
    options.steps = o.at("steps").get<int>();
    options.learning_rate = o.at("learning_rate").get<double>();
    options.seed = o.at("seed").get<std::uint64_t>();
    options.pairs_per_prompt = o.at("pairs_per_prompt").get<int>();
    options.sampler = ParsePairSampler(o.at("sampler").get<std::string>());
    options.samples_per_prompt = o.at("samples_per_prompt").get<int>();
    options.epochs = o.at("epochs").get<int>();
    options.clip = o.at("clip").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("config.json: {}", e.what()));
  }
}

AlignRunTrainer::AlignRunTrainer(const AlignProblem& problem, const AlignProblemOptions& problem_options,
                                 const AlignOptions& options)
    : problem_options_(problem_options), options_(options), trainer_(problem, options), metrics_(trainer_.Evaluate()) {}

nlohmann::json AlignRunTrainer::Config() const { return AlignRunConfig(problem_options_, options_); }

std::span<const run::EpisodeStats> AlignRunTrainer::Step() {
  metrics_ = trainer_.Step();
  return {};
}

std::vector<std::pair<std::string, double>> AlignRunTrainer::Scalars() const {
  const AlignMetrics& m = metrics_;
  return {{"align/loss", m.loss},
          {"align/reward", m.reward},
          {"align/kl_reference", m.kl_reference},
          {"align/kl_target", m.kl_target},
          {"align/true_reward", m.true_reward},
          {"align/kl_true_target", m.kl_true_target}};
}

void AlignRunTrainer::SaveCheckpoint(nn::SafetensorsFile& file) const {
  trainer_.SaveState(file);
  file.metadata["algorithm"] = "align";
  file.metadata["env"] = AlignMethodName(options_.method);
  file.metadata["config"] = Config().dump();
}

void AlignRunTrainer::RestoreCheckpoint(const nn::SafetensorsFile& file) {
  run::CheckCheckpointOwner(file, "align", AlignMethodName(options_.method));
  trainer_.RestoreState(file);
  metrics_ = trainer_.Evaluate();
}

void AlignRunTrainer::SavePolicy(nn::SafetensorsFile& file) const {
  const auto& logits = trainer_.policy().logits();
  const auto prompts = static_cast<std::int64_t>(trainer_.policy().world().num_prompts());
  file.tensors["align.logits"] =
      nn::Tensor::FromDoubles(logits, {prompts, static_cast<std::int64_t>(logits.size()) / prompts});
  file.metadata["algorithm"] = "align";
  file.metadata["env"] = AlignMethodName(options_.method);
}

}  // namespace cai::align
