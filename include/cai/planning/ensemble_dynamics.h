// A learned model as BatchedDynamics, so that Mppi plans through it unchanged: a
// ProbabilisticEnsemble predicts the state change s' - s (and, optionally, the reward) from
// features of (s, a), and each system of a Step call is propagated by one member's mean.
//
// Trajectory sampling (PETS's TS-infinity over members): of the n systems of a Step call, the block
// [floor(n e / E), floor(n (e + 1) / E)) uses member e. Mppi steps the same n systems (one chunk per thread) at every step of
// a rollout, so each sampled action sequence keeps its member for the whole horizon, the K
// sequences are spread evenly over the members, and the planner's weights average the return over
// the epistemic uncertainty. The member is chosen by the position inside the call, so no per-call
// state and no change of the BatchedDynamics interface is needed; contiguous blocks per member
// also let each member run as one matrix product. The members' means are propagated (the learned
// aleatoric variance is not sampled): the Step contract is deterministic, and for the noiseless
// simulators here the learned variance is tiny.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cai/nn/mlp.h"
#include "cai/planning/batched_dynamics.h"
#include "cai/planning/probabilistic_ensemble.h"

namespace cai::planning {

/// Where the planner's reward comes from.
enum class RewardSource {
  /// The reward of the true model of the task (BatchedDynamics::Step's reward on the state before
  /// the step; its next state is discarded): PETS's "known reward".
  kKnown,
  /// The ensemble's last output is the reward, learned with the dynamics.
  kLearned,
};

/// How (state, action) becomes the model's input: every state coordinate listed in `angle_dims` is
/// replaced by its (sin, cos) pair (so that the model sees angles without the 2 pi jump), the others
/// are copied, then the actions clipped to [low, high] are appended.
class ModelFeatures {
 public:
  /// Throws cai::Error unless every angle dim is in [0, state_dim) and listed once.
  ModelFeatures(int state_dim, int action_dim, std::vector<int> angle_dims, std::vector<float> action_low,
                std::vector<float> action_high);
  int state_dim() const { return state_dim_; }
  int action_dim() const { return action_dim_; }
  int input_dim() const { return state_dim_ + static_cast<int>(angle_dims_.size()) + action_dim_; }
  const std::vector<int>& angle_dims() const { return angle_dims_; }
  /// Writes the inputs of n systems (states: state_dim rows, actions: action_dim rows, entries
  /// [0, n)) into columns [0, n) of `out` (input_dim x >= n). Does not allocate.
  void Write(ConstBatchView states, ConstBatchView actions, std::size_t n, nn::Matrix& out) const;

 private:
  int state_dim_, action_dim_;
  std::vector<int> angle_dims_;
  std::vector<char> is_angle_;
  std::vector<float> low_, high_;
};

/// The ensemble as a BatchedDynamics (see the file comment). The ensemble's outputs must be the
/// state_dim deltas (+ 1 reward with kLearned).
class EnsembleDynamics final : public BatchedDynamics {
 public:
  /// `ensemble` and `true_model` must outlive this object. `true_model` provides the name, the
  /// dimensions, the action bounds and (kKnown) the reward. At most `max_threads` Step calls may run
  /// at once (one preallocated workspace each; Mppi needs MppiOptions::threads); each call handles
  /// its systems in slices of at most `max_batch`. Throws cai::Error on inconsistent dimensions.
  EnsembleDynamics(const ProbabilisticEnsemble& ensemble, const BatchedDynamics& true_model, ModelFeatures features,
                   RewardSource reward, int max_threads = 1, int max_batch = 1024);
  ~EnsembleDynamics() override;

  std::string_view name() const override { return name_; }
  int state_dim() const override { return true_model_->state_dim(); }
  int action_dim() const override { return true_model_->action_dim(); }
  std::span<const float> action_low() const override { return true_model_->action_low(); }
  std::span<const float> action_high() const override { return true_model_->action_high(); }
  /// s' = s + member mean of the delta; reward as RewardSource says. Does not allocate. Throws
  /// cai::Error if more than max_threads calls run at once.
  void Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const override;

  const ModelFeatures& features() const { return features_; }
  RewardSource reward_source() const { return reward_; }

 private:
  struct Workspace;
  void StepSlice(Workspace& w, int member, BatchView states, ConstBatchView actions, std::span<float> rewards) const;

  const ProbabilisticEnsemble* ensemble_;
  const BatchedDynamics* true_model_;
  ModelFeatures features_;
  RewardSource reward_;
  int max_batch_;
  std::string name_;
  std::vector<std::unique_ptr<Workspace>> workspaces_;
  std::unique_ptr<std::atomic<bool>[]> busy_;
};

}  // namespace cai::planning
