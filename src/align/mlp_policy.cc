#include "cai/align/mlp_policy.h"

#include <fmt/format.h>

#include "cai/align/exact_posterior.h"
#include "cai/align/preference.h"
#include "cai/core/error.h"

namespace cai::align {
namespace {

nn::MlpSpec Spec(const TokenWorld& world, const MlpPolicyOptions& o) {
  nn::MlpSpec spec;
  spec.input_dim = world.num_prompts() + (world.max_length() - 1) * (world.vocab_size() - 1);
  spec.hidden = o.hidden;
  spec.output_dim = world.vocab_size();
  spec.hidden_activation = o.activation;
  spec.output_activation = nn::Activation::kIdentity;
  return spec;
}

nn::Mlp MakeNet(const TokenWorld& world, const MlpPolicyOptions& o) {
  ValidateMlpPolicyOptions(o);
  Rng rng(o.seed);
  return nn::Mlp(Spec(world, o), rng);
}

// Prefix tokens of every node: walk down the tree from the root (parents come before children).
std::vector<std::vector<int>> NodeTokens(const TokenWorld& world) {
  std::vector<std::vector<int>> tokens(static_cast<std::size_t>(world.num_nodes()));
  for (int n = 0; n < world.num_nodes(); ++n) {
    for (int a = 0; a < world.vocab_size(); ++a) {
      const int child = world.Child(n, a);
      if (child < 0) continue;
      tokens[static_cast<std::size_t>(child)] = tokens[static_cast<std::size_t>(n)];
      tokens[static_cast<std::size_t>(child)].push_back(a);
    }
  }
  return tokens;
}

}  // namespace

void ValidateMlpPolicyOptions(const MlpPolicyOptions& o) {
  nn::MlpSpec spec;
  spec.hidden = o.hidden;
  nn::ValidateMlpSpec(spec);
}

MlpPolicy::MlpPolicy(const TokenWorld& world, const MlpPolicyOptions& options)
    : world_(world),
      net_(MakeNet(world, options)),
      inputs_(nn::Matrix::Zero(net_.input_dim(), world.num_prompts() * world.num_nodes())),
      workspace_(net_, world.num_prompts() * world.num_nodes()) {
  const std::vector<std::vector<int>> tokens = NodeTokens(world);
  for (int x = 0; x < world.num_prompts(); ++x) {
    for (int n = 0; n < world.num_nodes(); ++n) {
      const int column = x * world.num_nodes() + n;
      inputs_(x, column) = 1.0f;
      const auto& prefix = tokens[static_cast<std::size_t>(n)];
      for (std::size_t t = 0; t < prefix.size(); ++t) {
        inputs_(world.num_prompts() + static_cast<int>(t) * (world.vocab_size() - 1) + prefix[t] - 1, column) = 1.0f;
      }
    }
  }
}

TabularPolicy MlpPolicy::Tabulate() const {
  const Eigen::Ref<const nn::Matrix> out = nn::Forward(net_, workspace_, inputs_);
  TabularPolicy tabular(world_);
  // Column-major (vocab x contexts) is TabularPolicy's (prompt, node, token) layout.
  for (Eigen::Index c = 0; c < out.cols(); ++c) {
    for (Eigen::Index a = 0; a < out.rows(); ++a) {
      tabular.logits()[static_cast<std::size_t>(c * out.rows() + a)] = static_cast<double>(out(a, c));
    }
  }
  return tabular;
}

std::vector<double> MlpPolicy::ResponseLogProbs() const { return Tabulate().ResponseLogProbs(); }

void MlpPolicy::BackpropResponseLogProbs(std::span<const double> d_log_probs) {
  const TabularPolicy tabular = Tabulate();  // also leaves this forward pass in the workspace
  std::vector<double> d_logits(tabular.logits().size());
  tabular.BackpropResponseLogProbs(d_log_probs, d_logits);
  nn::Matrix d_out(net_.output_dim(), inputs_.cols());
  for (Eigen::Index c = 0; c < d_out.cols(); ++c) {
    for (Eigen::Index a = 0; a < d_out.rows(); ++a) {
      d_out(a, c) = static_cast<float>(d_logits[static_cast<std::size_t>(c * d_out.rows() + a)]);
    }
  }
  nn::Backward(net_, workspace_, d_out, nullptr, nn::ParameterGradients::kOverwrite);
}

MlpPreferenceTrainer::MlpPreferenceTrainer(const AlignProblem& problem, const AlignOptions& options,
                                           const MlpPolicyOptions& policy)
    : problem_(problem),
      options_(options),
      policy_(problem.world, policy),
      adam_(policy_.net().num_parameters(), AdamOptions{options.learning_rate}) {
  ValidateAlignOptions(options);
  if (options.method == AlignMethod::kPpo) {
    throw Error("method: \"ppo\" is not available with the MLP policy (expected dpo or ipo)");
  }
  const std::vector<double> sampler = SamplerLogProbs(problem.world, options.sampler, problem.reference_log_probs);
  if (options.pairs_per_prompt > 0) {
    Rng rng(options.seed);
    pair_weights_ = PairWeights(problem.world, SamplePreferencePairs(problem.world, sampler, problem.reward,
                                                                     options.pairs_per_prompt, rng));
  } else {
    pair_weights_ = PopulationPairWeights(problem.world, sampler, problem.reward);
  }
  target_ = options.method == AlignMethod::kIpo
                ? IpoOptimum(problem.world, problem.reference_log_probs, sampler, problem.reward, options.beta)
                : EnumeratedPosterior(problem.world, problem.reference_log_probs, problem.reward, options.beta).log_probs;
  true_target_ =
      EnumeratedPosterior(problem.world, problem.reference_log_probs, problem.true_reward, options.beta).log_probs;
}

AlignMetrics MlpPreferenceTrainer::Step() {
  const PreferenceObjective objective{options_.method == AlignMethod::kDpo ? PreferenceLoss::kDpo : PreferenceLoss::kIpo,
                                      options_.beta};
  std::vector<double> d_log_probs(problem_.reference_log_probs.size());
  last_loss_ = WeightedPreferenceLoss(problem_.world, objective, policy_.ResponseLogProbs(),
                                      problem_.reference_log_probs, pair_weights_, d_log_probs);
  policy_.BackpropResponseLogProbs(d_log_probs);
  adam_.Step(policy_.net().parameters(), policy_.net().gradients());
  ++steps_done_;
  return Evaluate();
}

AlignMetrics MlpPreferenceTrainer::Evaluate() const {
  return MeasureAlignment(problem_, policy_.ResponseLogProbs(), target_, true_target_, steps_done_, last_loss_);
}

}  // namespace cai::align
