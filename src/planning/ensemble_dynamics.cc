#include "cai/planning/ensemble_dynamics.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai::planning {

ModelFeatures::ModelFeatures(int state_dim, int action_dim, std::vector<int> angle_dims, std::vector<float> action_low,
                             std::vector<float> action_high)
    : state_dim_(state_dim),
      action_dim_(action_dim),
      angle_dims_(std::move(angle_dims)),
      is_angle_(std::max(state_dim, 0), 0),
      low_(std::move(action_low)),
      high_(std::move(action_high)) {
  if (state_dim < 1 || action_dim < 1) {
    throw Error(fmt::format("ModelFeatures: state_dim = {}, action_dim = {}; expected both >= 1", state_dim, action_dim));
  }
  if (low_.size() != static_cast<std::size_t>(action_dim) || high_.size() != static_cast<std::size_t>(action_dim)) {
    throw Error(fmt::format("ModelFeatures: {} lower and {} upper action bounds; expected {} each", low_.size(),
                            high_.size(), action_dim));
  }
  for (int d : angle_dims_) {
    if (d < 0 || d >= state_dim || is_angle_[d]) {
      throw Error(fmt::format("ModelFeatures: angle dim {} is invalid (expected distinct indices in [0, {}))", d, state_dim));
    }
    is_angle_[d] = 1;
  }
}

void ModelFeatures::Write(ConstBatchView states, ConstBatchView actions, std::size_t n, nn::Matrix& out) const {
  int row = 0;
  for (int i = 0; i < state_dim_; ++i) {
    const float* s = states.row(i);
    if (is_angle_[i]) {
      for (std::size_t k = 0; k < n; ++k) {
        out(row, static_cast<Eigen::Index>(k)) = std::sin(s[k]);
        out(row + 1, static_cast<Eigen::Index>(k)) = std::cos(s[k]);
      }
      row += 2;
    } else {
      for (std::size_t k = 0; k < n; ++k) out(row, static_cast<Eigen::Index>(k)) = s[k];
      ++row;
    }
  }
  for (int a = 0; a < action_dim_; ++a) {
    const float* u = actions.row(a);
    for (std::size_t k = 0; k < n; ++k) out(row, static_cast<Eigen::Index>(k)) = std::clamp(u[k], low_[a], high_[a]);
    ++row;
  }
}

struct EnsembleDynamics::Workspace {
  nn::MlpWorkspace mlp;
  nn::Matrix input, mean;
  std::vector<float> state_copy;
  Workspace(const nn::Mlp& net, int max_batch, int input_dim, int output_dim, int state_dim)
      : mlp(net, max_batch),
        input(input_dim, max_batch),
        mean(output_dim, max_batch),
        state_copy(static_cast<std::size_t>(state_dim) * max_batch) {}
};

EnsembleDynamics::EnsembleDynamics(const ProbabilisticEnsemble& ensemble, const BatchedDynamics& true_model,
                                   ModelFeatures features, RewardSource reward, int max_threads, int max_batch)
    : ensemble_(&ensemble),
      true_model_(&true_model),
      features_(std::move(features)),
      reward_(reward),
      max_batch_(max_batch),
      name_(fmt::format("ensemble model of {}", true_model.name())) {
  const int s = true_model.state_dim(), a = true_model.action_dim();
  if (features_.state_dim() != s || features_.action_dim() != a) {
    throw Error(fmt::format("EnsembleDynamics: features are for {} states and {} actions but {} has {} and {}",
                            features_.state_dim(), features_.action_dim(), true_model.name(), s, a));
  }
  const int outputs = s + (reward == RewardSource::kLearned ? 1 : 0);
  if (ensemble.input_dim() != features_.input_dim() || ensemble.output_dim() != outputs) {
    throw Error(fmt::format("EnsembleDynamics: ensemble maps {} -> {} but the features give {} inputs and the model "
                            "needs {} outputs ({} state deltas{})",
                            ensemble.input_dim(), ensemble.output_dim(), features_.input_dim(), outputs, s,
                            reward == RewardSource::kLearned ? " + reward" : ""));
  }
  if (max_threads < 1) throw Error(fmt::format("EnsembleDynamics: max_threads = {}; expected >= 1", max_threads));
  if (max_batch < 1) throw Error(fmt::format("EnsembleDynamics: max_batch = {}; expected >= 1", max_batch));
  for (int t = 0; t < max_threads; ++t) {
    workspaces_.push_back(std::make_unique<Workspace>(ensemble.member(0), max_batch, features_.input_dim(), outputs, s));
  }
  busy_ = std::make_unique<std::atomic<bool>[]>(max_threads);
  for (int t = 0; t < max_threads; ++t) busy_[t] = false;
}

EnsembleDynamics::~EnsembleDynamics() = default;

void EnsembleDynamics::StepSlice(Workspace& w, int member, BatchView states, ConstBatchView actions,
                                 std::span<float> rewards) const {
  const std::size_t n = rewards.size();
  const int s_dim = state_dim();
  features_.Write(ConstBatchView{states.data, states.stride}, actions, n, w.input);
  if (reward_ == RewardSource::kKnown) {
    // The true reward r(s, a) on the state before the step: step a copy with the true model.
    for (int i = 0; i < s_dim; ++i) std::copy_n(states.row(i), n, w.state_copy.data() + static_cast<std::size_t>(i) * n);
    true_model_->Step(BatchView{w.state_copy.data(), n}, actions, rewards);
  }
  const auto cols = static_cast<Eigen::Index>(n);
  ensemble_->Predict(member, w.input.leftCols(cols), w.mlp, w.input, &w.mean, nullptr);
  for (int i = 0; i < s_dim; ++i) {
    float* s = states.row(i);
    for (std::size_t k = 0; k < n; ++k) s[k] += w.mean(i, static_cast<Eigen::Index>(k));
  }
  if (reward_ == RewardSource::kLearned) {
    for (std::size_t k = 0; k < n; ++k) rewards[k] = w.mean(s_dim, static_cast<Eigen::Index>(k));
  }
}

void EnsembleDynamics::Step(BatchView states, ConstBatchView actions, std::span<float> rewards) const {
  const int threads = static_cast<int>(workspaces_.size());
  int slot = -1;
  for (int t = 0; t < threads && slot < 0; ++t) {
    if (!busy_[t].exchange(true, std::memory_order_acquire)) slot = t;
  }
  if (slot < 0) {
    throw Error(fmt::format("EnsembleDynamics::Step: more than max_threads = {} concurrent calls", threads));
  }
  Workspace& w = *workspaces_[slot];
  const std::size_t n = rewards.size();
  const int members = ensemble_->members();
  for (int e = 0; e < members; ++e) {
    // Systems [n e / E, n (e + 1) / E) use member e, in slices of at most max_batch.
    const std::size_t begin = n * e / members, end = n * (e + 1) / members;
    for (std::size_t b = begin; b < end; b += static_cast<std::size_t>(max_batch_)) {
      const std::size_t m = std::min(end - b, static_cast<std::size_t>(max_batch_));
      StepSlice(w, e, BatchView{states.data + b, states.stride}, ConstBatchView{actions.data + b, actions.stride},
                rewards.subspan(b, m));
    }
  }
  busy_[slot].store(false, std::memory_order_release);
}

}  // namespace cai::planning
