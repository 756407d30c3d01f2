// The small neural variant of the autoregressive policy: pi(y_t | x, y_<t) = softmax of the
// output of an nn::Mlp (float32) on a fixed encoding of (prompt, prefix), and DPO / IPO on it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cai/align/align_trainer.h"
#include "cai/align/token_world.h"
#include "cai/core/adam.h"
#include "cai/nn/mlp.h"

namespace cai::align {

struct MlpPolicyOptions {
  std::vector<int> hidden = {64};                   ///< hidden layer sizes
  nn::Activation activation = nn::Activation::kTanh;  ///< smooth, so finite differences are meaningful
  std::uint64_t seed = 1;                           ///< PyTorch-style initialisation of the weights
};
/// Throws cai::Error naming the field unless every hidden size is in [1, 65536].
void ValidateMlpPolicyOptions(const MlpPolicyOptions& options);

/// Input of the network for (prompt x, prefix node n): one-hot x (num_prompts entries), then for
/// each position t < max_length - 1 a one-hot of the prefix's token t over the non-end tokens
/// 1..vocab_size-1 (all zeros past the prefix's end): num_prompts + (max_length - 1)(vocab_size - 1)
/// entries. Different (x, n) have different encodings. Output: the vocab_size next-token logits.
class MlpPolicy {
 public:
  MlpPolicy(const TokenWorld& world, const MlpPolicyOptions& options);

  const TokenWorld& world() const { return world_; }
  nn::Mlp& net() { return net_; }
  const nn::Mlp& net() const { return net_; }
  int input_dim() const { return static_cast<int>(inputs_.rows()); }
  /// The encodings of every (x, n), one column each, column x * num_nodes + n.
  const nn::Matrix& inputs() const { return inputs_; }

  /// The network evaluated on every context: a tabular policy with the same next-token
  /// distributions (logits in TabularPolicy's layout, widened to double).
  TabularPolicy Tabulate() const;
  /// log pi(y|x), num_prompts x num_responses.
  std::vector<double> ResponseLogProbs() const;
  /// Given g = dL/d log pi(y|x) (num_prompts x num_responses), writes dL/d parameters into
  /// net().gradients() (overwriting them): the tabular chain rule to the logits, then Backward.
  void BackpropResponseLogProbs(std::span<const double> d_log_probs);

 private:
  TokenWorld world_;
  nn::Mlp net_;
  nn::Matrix inputs_;
  mutable nn::MlpWorkspace workspace_;
};

/// DPO or IPO (AlignOptions: method kDpo or kIpo, beta, steps, learning_rate, seed, pairs_per_prompt,
/// sampler; PPO is not offered) on an MlpPolicy: full-batch float Adam on WeightedPreferenceLoss. The
/// policy starts at its random initialisation (it cannot copy pi_ref exactly); the target is the
/// same as the tabular trainer's (pi* for DPO, the IPO optimum for IPO).
class MlpPreferenceTrainer {
 public:
  MlpPreferenceTrainer(const AlignProblem& problem, const AlignOptions& options, const MlpPolicyOptions& policy);
  AlignMetrics Step();
  AlignMetrics Evaluate() const;
  const MlpPolicy& policy() const { return policy_; }

 private:
  const AlignProblem& problem_;
  AlignOptions options_;
  MlpPolicy policy_;
  Adam<float> adam_;
  std::vector<double> pair_weights_;
  std::vector<double> target_;
  std::vector<double> true_target_;
  double last_loss_ = 0.0;
  int steps_done_ = 0;
};

}  // namespace cai::align
