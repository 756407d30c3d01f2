// Tabular Markov decision process with sparse stochastic transitions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace cai {

/// Optional geometry for grid-shaped MDPs: state index = y * width + x, with y = 0 the top row.
struct GridLayout {
  int width = 0;
  int height = 0;
  bool operator==(const GridLayout&) const = default;
};

/// The successors of one (s, a): `next` holds (next_state, probability) pairs.
struct TransitionSpec {
  int s = 0;
  int a = 0;
  std::vector<std::pair<int, double>> next;
  bool operator==(const TransitionSpec&) const = default;
};

/// Plain description of an MDP, as written in a `cai.mdp/1` file. `Mdp::FromSpec` validates it.
/// An (s, a) absent from `transitions` (or given with an empty `next`) ends the episode after the
/// action: its Q-value is its reward alone. An empty `initial` means "start in state 0".
struct MdpSpec {
  int num_states = 0;
  int num_actions = 0;
  std::vector<std::vector<double>> rewards;  // num_states x num_actions
  std::vector<TransitionSpec> transitions;
  std::vector<std::pair<int, double>> initial;
  std::vector<std::string> state_names;   // empty or num_states entries
  std::vector<std::string> action_names;  // empty or num_actions entries
  std::optional<GridLayout> grid;
  bool operator==(const MdpSpec&) const = default;
};

/// Tolerance on "probabilities sum to 1" for transitions, initial distributions and priors.
inline constexpr double kProbabilitySumTolerance = 1e-9;

/// An immutable, validated tabular MDP. Transitions are stored in compressed sparse rows indexed by
/// sa = s * num_actions + a, so that solvers stream through them in order.
class Mdp {
 public:
  /// Validates `spec` and builds the MDP. Throws cai::Error naming the offending field and value,
  /// e.g. "transitions[12].next[1]: probability -0.2 is negative". Never fixes anything up.
  static Mdp FromSpec(const MdpSpec& spec);

  /// The spec this MDP was built from, in canonical order (transitions sorted by (s, a)).
  MdpSpec ToSpec() const;

  int num_states() const { return num_states_; }
  int num_actions() const { return num_actions_; }
  /// r(s, a).
  double reward(int s, int a) const { return rewards_[Index(s, a)]; }
  /// All rewards, row-major num_states x num_actions.
  std::span<const double> rewards() const { return rewards_; }
  /// True when (s, a) has no successors: the episode ends after the action.
  bool IsTerminal(int s, int a) const { return row_offsets_[Index(s, a)] == row_offsets_[Index(s, a) + 1]; }
  std::span<const std::int32_t> NextStates(int s, int a) const;
  std::span<const double> NextProbabilities(int s, int a) const;

  /// CSR arrays: successors of sa are [row_offsets[sa], row_offsets[sa + 1]).
  std::span<const std::int64_t> row_offsets() const { return row_offsets_; }
  std::span<const std::int32_t> next_states() const { return next_states_; }
  std::span<const double> next_probabilities() const { return next_probabilities_; }
  std::int64_t num_transitions() const { return static_cast<std::int64_t>(next_states_.size()); }

  /// Dense initial distribution over states.
  std::span<const double> initial_distribution() const { return initial_; }
  const std::vector<std::string>& state_names() const { return state_names_; }
  const std::vector<std::string>& action_names() const { return action_names_; }
  /// Name of state s: its given name, else its index.
  std::string StateName(int s) const;
  /// Name of action a: its given name, else its index.
  std::string ActionName(int a) const;
  const std::optional<GridLayout>& grid() const { return grid_; }

  std::size_t Index(int s, int a) const {
    return static_cast<std::size_t>(s) * static_cast<std::size_t>(num_actions_) +
           static_cast<std::size_t>(a);
  }

 private:
  Mdp() = default;

  int num_states_ = 0;
  int num_actions_ = 0;
  std::vector<double> rewards_;
  std::vector<std::int64_t> row_offsets_;
  std::vector<std::int32_t> next_states_;
  std::vector<double> next_probabilities_;
  std::vector<double> initial_;
  std::vector<std::pair<int, double>> initial_spec_;
  std::vector<std::string> state_names_;
  std::vector<std::string> action_names_;
  std::optional<GridLayout> grid_;
};

}  // namespace cai
