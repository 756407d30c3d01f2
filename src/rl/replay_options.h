// The option fields SAC and soft DQN share (network, replay buffer, discount), declared once for
// both option lists (include/cai/core/options.h).
#pragma once

#include <cstdint>

#include "cai/core/options.h"
#include "cai/nn/mlp.h"

namespace cai::rl::detail {

template <typename O>
OptionList<O>& AddNetworkAndReplayFields(OptionList<O>& t, const char* hidden_doc) {
  return t.Add("hidden", &O::hidden, hidden_doc, Each(InRange(1, 65536, "an integer in [1, 65536]")))
      .Choice("activation", &O::activation, "hidden activation", nn::ActivationChoices())
      .Add("batch_size", &O::batch_size, "minibatch size", InRange(1, 1 << 20, "an integer in [1, 2^20]"))
      .Flag("batch")
      .Add("buffer_size", &O::buffer_size, "replay buffer capacity",
           InRange<std::int64_t>(1, std::int64_t{1} << 31, "an integer in [1, 2^31]"))
      .Add("discount", &O::discount, "discount gamma", InRange(0.0, 1.0, "a number in [0, 1]"));
}

/// Environment steps or updates between events: [1, 10^6].
inline OptionRule<int> UpdateCount() { return InRange(1, 1000000, "an integer in [1, 10^6]"); }

/// The off-policy schedule both learners share (rl::OffPolicyTrainer): warm-up, then every
/// train_frequency steps gradient_steps updates.
template <typename O>
OptionList<O>& AddOffPolicyScheduleFields(OptionList<O>& t) {
  return t
      .Add("learning_starts", &O::learning_starts, "uniform random steps, without updates, before learning",
           AtLeast<std::int64_t>(0, "an integer >= 0"))
      .Add("train_frequency", &O::train_frequency, "environment steps between update rounds", UpdateCount())
      .Flag("train-freq")
      .Add("gradient_steps", &O::gradient_steps, "updates per round", UpdateCount());
}

}  // namespace cai::rl::detail
