#include "cai/mdp/mdp.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai {
namespace {

// Checks a list of (state, probability) pairs: indices in range, probabilities finite and
// non-negative, no repeated state, sum within tolerance of 1. `where` is the JSON path.
void ValidateDistribution(const std::vector<std::pair<int, double>>& entries, int num_states,
                          const std::string& where, const char* index_name) {
  double total = 0.0;
  std::unordered_map<int, std::size_t> seen;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const auto& [state, p] = entries[k];
    const std::string at = fmt::format("{}[{}]", where, k);
    if (state < 0 || state >= num_states) {
      throw Error(fmt::format("{}: {} {} is out of range [0, {})", at, index_name, state,
                              num_states));
    }
    if (!std::isfinite(p)) throw Error(fmt::format("{}: probability {} is not finite", at, p));
    if (p < 0.0) throw Error(fmt::format("{}: probability {} is negative", at, p));
    if (p > 1.0 + kProbabilitySumTolerance) {
      throw Error(fmt::format("{}: probability {} is greater than 1", at, p));
    }
    if (auto [it, inserted] = seen.emplace(state, k); !inserted) {
      throw Error(fmt::format("{}: {} {} is repeated (first at {}[{}]); merge the probabilities",
                              at, index_name, state, where, it->second));
    }
    total += p;
  }
  if (std::abs(total - 1.0) > kProbabilitySumTolerance) {
    throw Error(fmt::format("{}: probabilities sum to {:.17g}, expected 1 (tolerance {:g})", where,
                            total, kProbabilitySumTolerance));
  }
}

}  // namespace

Mdp Mdp::FromSpec(const MdpSpec& spec) {
  if (spec.num_states < 1) {
    throw Error(fmt::format("num_states: {} is not a positive integer", spec.num_states));
  }
  if (spec.num_actions < 1) {
    throw Error(fmt::format("num_actions: {} is not a positive integer", spec.num_actions));
  }
  const std::int64_t num_sa = std::int64_t{spec.num_states} * spec.num_actions;
  if (num_sa > std::int64_t{1} << 40) {
    throw Error(fmt::format("num_states x num_actions = {} is too large (at most 2^40)", num_sa));
  }
  Mdp m;
  m.num_states_ = spec.num_states;
  m.num_actions_ = spec.num_actions;

  if (spec.rewards.size() != static_cast<std::size_t>(spec.num_states)) {
    throw Error(fmt::format("rewards: expected {} rows (num_states), got {}", spec.num_states,
                            spec.rewards.size()));
  }
  m.rewards_.resize(static_cast<std::size_t>(num_sa));
  for (int s = 0; s < spec.num_states; ++s) {
    const auto& row = spec.rewards[static_cast<std::size_t>(s)];
    if (row.size() != static_cast<std::size_t>(spec.num_actions)) {
      throw Error(fmt::format("rewards[{}]: expected {} entries (num_actions), got {}", s,
                              spec.num_actions, row.size()));
    }
    for (int a = 0; a < spec.num_actions; ++a) {
      const double r = row[static_cast<std::size_t>(a)];
      if (!std::isfinite(r)) throw Error(fmt::format("rewards[{}][{}]: {} is not finite", s, a, r));
      m.rewards_[m.Index(s, a)] = r;
    }
  }

  // Transitions: validate each entry, then lay them out in (s, a) order.
  std::vector<std::int64_t> entry_of(static_cast<std::size_t>(num_sa), -1);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(num_sa) + 1, 0);
  for (std::size_t k = 0; k < spec.transitions.size(); ++k) {
    const TransitionSpec& t = spec.transitions[k];
    const std::string at = fmt::format("transitions[{}]", k);
    if (t.s < 0 || t.s >= spec.num_states) {
      throw Error(fmt::format("{}.s: state {} is out of range [0, {})", at, t.s, spec.num_states));
    }
    if (t.a < 0 || t.a >= spec.num_actions) {
      throw Error(
          fmt::format("{}.a: action {} is out of range [0, {})", at, t.a, spec.num_actions));
    }
    const std::size_t sa = m.Index(t.s, t.a);
    if (entry_of[sa] >= 0) {
      throw Error(fmt::format("{}: duplicate (s={}, a={}), first given at transitions[{}]", at, t.s,
                              t.a, entry_of[sa]));
    }
    entry_of[sa] = static_cast<std::int64_t>(k);
    if (!t.next.empty()) ValidateDistribution(t.next, spec.num_states, at + ".next", "next state");
    counts[sa + 1] = static_cast<std::int64_t>(t.next.size());
  }
  m.row_offsets_.resize(counts.size());
  m.row_offsets_[0] = 0;
  for (std::size_t i = 1; i < counts.size(); ++i) {
    m.row_offsets_[i] = m.row_offsets_[i - 1] + counts[i];
  }
  if (m.row_offsets_.back() > std::numeric_limits<std::int32_t>::max()) {
    throw Error(fmt::format("transitions: {} successor entries is too many (at most 2^31 - 1)",
                            m.row_offsets_.back()));
  }
  m.next_states_.resize(static_cast<std::size_t>(m.row_offsets_.back()));
  m.next_probabilities_.resize(m.next_states_.size());
  for (std::size_t sa = 0; sa < entry_of.size(); ++sa) {
    if (entry_of[sa] < 0) continue;
    const auto& next = spec.transitions[static_cast<std::size_t>(entry_of[sa])].next;
    auto offset = static_cast<std::size_t>(m.row_offsets_[sa]);
    for (const auto& [state, p] : next) {
      m.next_states_[offset] = state;
      m.next_probabilities_[offset] = p;
      ++offset;
    }
  }

  m.initial_.assign(static_cast<std::size_t>(spec.num_states), 0.0);
  if (spec.initial.empty()) {
    m.initial_[0] = 1.0;
  } else {
    ValidateDistribution(spec.initial, spec.num_states, "initial", "state");
    for (const auto& [state, p] : spec.initial) m.initial_[static_cast<std::size_t>(state)] = p;
  }
  m.initial_spec_ = spec.initial;

  if (!spec.state_names.empty() &&
      spec.state_names.size() != static_cast<std::size_t>(spec.num_states)) {
    throw Error(fmt::format("state_names: expected {} names (num_states), got {}",
                            spec.num_states, spec.state_names.size()));
  }
  if (!spec.action_names.empty() &&
      spec.action_names.size() != static_cast<std::size_t>(spec.num_actions)) {
    throw Error(fmt::format("action_names: expected {} names (num_actions), got {}",
                            spec.num_actions, spec.action_names.size()));
  }
  m.state_names_ = spec.state_names;
  m.action_names_ = spec.action_names;

  if (spec.grid) {
    const GridLayout& g = *spec.grid;
    if (g.width < 1 || g.height < 1 ||
        std::int64_t{g.width} * g.height != std::int64_t{spec.num_states}) {
      throw Error(fmt::format(
          "grid: width {} x height {} does not match num_states {} (expected positive sizes whose "
          "product is num_states)",
          g.width, g.height, spec.num_states));
    }
  }
  m.grid_ = spec.grid;
  return m;
}

MdpSpec Mdp::ToSpec() const {
  MdpSpec spec;
  spec.num_states = num_states_;
  spec.num_actions = num_actions_;
  spec.rewards.assign(static_cast<std::size_t>(num_states_),
                      std::vector<double>(static_cast<std::size_t>(num_actions_)));
  for (int s = 0; s < num_states_; ++s) {
    for (int a = 0; a < num_actions_; ++a) {
      spec.rewards[static_cast<std::size_t>(s)][static_cast<std::size_t>(a)] = reward(s, a);
      if (IsTerminal(s, a)) continue;
      TransitionSpec t{s, a, {}};
      const auto states = NextStates(s, a);
      const auto probs = NextProbabilities(s, a);
      for (std::size_t k = 0; k < states.size(); ++k) t.next.emplace_back(states[k], probs[k]);
      spec.transitions.push_back(std::move(t));
    }
  }
  spec.initial = initial_spec_;
  spec.state_names = state_names_;
  spec.action_names = action_names_;
  spec.grid = grid_;
  return spec;
}

std::span<const std::int32_t> Mdp::NextStates(int s, int a) const {
  const std::size_t sa = Index(s, a);
  return std::span<const std::int32_t>(next_states_)
      .subspan(static_cast<std::size_t>(row_offsets_[sa]),
               static_cast<std::size_t>(row_offsets_[sa + 1] - row_offsets_[sa]));
}

std::span<const double> Mdp::NextProbabilities(int s, int a) const {
  const std::size_t sa = Index(s, a);
  return std::span<const double>(next_probabilities_)
      .subspan(static_cast<std::size_t>(row_offsets_[sa]),
               static_cast<std::size_t>(row_offsets_[sa + 1] - row_offsets_[sa]));
}

std::string Mdp::StateName(int s) const {
  return state_names_.empty() ? std::to_string(s) : state_names_[static_cast<std::size_t>(s)];
}

std::string Mdp::ActionName(int a) const {
  return action_names_.empty() ? std::to_string(a) : action_names_[static_cast<std::size_t>(a)];
}

}  // namespace cai
