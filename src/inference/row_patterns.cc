// Row and state patterns of an MDP (soft_bellman.h): the compressed form of its rows that the
// variational sweep reads instead of rewards, row offsets and probabilities.
#include <bit>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "cai/inference/soft_bellman.h"

namespace cai {

std::optional<RowPatterns> RowPatterns::Build(const Mdp& mdp) {
  const std::span<const std::int64_t> offsets = mdp.row_offsets();
  const std::span<const double> prob = mdp.next_probabilities();
  const std::span<const double> rewards = mdp.rewards();
  RowPatterns out;
  out.num_states_ = mdp.num_states();
  out.num_actions_ = mdp.num_actions();
  out.row_pattern_.resize(rewards.size());
  // Open addressing on a hash of the row's bits (4x more slots than patterns); rows are compared
  // bit for bit, so -0.0 and +0.0 are different patterns and every result keeps its last bit.
  constexpr std::size_t kSlots = 4 * kMaxPatterns;
  std::vector<int> slot_pattern(kSlots, -1);
  auto bits = [](double x) { return std::bit_cast<std::uint64_t>(x); };
  for (std::size_t sa = 0; sa < rewards.size(); ++sa) {
    const std::int64_t begin = offsets[sa];
    const std::int64_t n = offsets[sa + 1] - begin;
    std::uint64_t h = bits(rewards[sa]) * 0x9e3779b97f4a7c15u ^ static_cast<std::uint64_t>(n);
    for (std::int64_t u = 0; u < n; ++u) {
      h = (h ^ bits(prob[static_cast<std::size_t>(begin + u)])) * 0xff51afd7ed558ccdu;
      h ^= h >> 29;
    }
    h ^= h >> 32;
    std::size_t slot = static_cast<std::size_t>(h) & (kSlots - 1);
    int id = -1;
    for (;; slot = (slot + 1) & (kSlots - 1)) {
      const int candidate = slot_pattern[slot];
      if (candidate < 0) break;
      const Pattern& pat = out.patterns_[static_cast<std::size_t>(candidate)];
      bool same = pat.count == n && bits(pat.reward) == bits(rewards[sa]);
      for (std::int64_t u = 0; same && u < n; ++u) {
        same = bits(out.probs_[static_cast<std::size_t>(pat.prob_begin + u)]) ==
               bits(prob[static_cast<std::size_t>(begin + u)]);
      }
      if (same) {
        id = candidate;
        break;
      }
    }
    if (id < 0) {
      if (out.num_patterns() == kMaxPatterns ||
          n > std::numeric_limits<std::int32_t>::max() - static_cast<std::int64_t>(out.probs_.size())) {
        return std::nullopt;
      }
      id = out.num_patterns();
      out.patterns_.push_back({rewards[sa], static_cast<std::int32_t>(n),
                               static_cast<std::int32_t>(out.probs_.size())});
      out.probs_.insert(out.probs_.end(), prob.begin() + begin, prob.begin() + begin + n);
      slot_pattern[slot] = id;
    }
    out.row_pattern_[sa] = static_cast<std::uint8_t>(id);
  }
  if (out.num_actions_ == 4) {
    // Offsets as part of the patterns when that keeps them few, else row patterns alone.
    if (!out.BuildStatePatterns(mdp, true)) out.BuildStatePatterns(mdp, false);
  }
  return out;
}

bool RowPatterns::BuildStatePatterns(const Mdp& mdp, bool with_offsets) {
  // A state's key: its four row patterns, the common successor count (or -1) and, with offsets,
  // where its successors lie relative to it. At most kMaxPatterns distinct keys.
  struct Key {
    std::uint32_t rows = 0;
    std::int32_t count = -1;
    std::int32_t offset[kMaxStateSuccessors][4] = {};
    bool operator==(const Key&) const = default;
  };
  const std::span<const std::int64_t> offsets_csr = mdp.row_offsets();
  const std::span<const std::int32_t> next = mdp.next_states();
  std::vector<std::uint8_t> state_pattern(static_cast<std::size_t>(num_states_));
  std::vector<Key> keys;
  constexpr std::size_t kSlots = 4 * kMaxPatterns;
  std::vector<int> slot_pattern(kSlots, -1);
  for (std::size_t s = 0; s < state_pattern.size(); ++s) {
    const std::uint8_t* rp = row_pattern_.data() + 4 * s;
    Key key;
    key.rows = rp[0] | std::uint32_t{rp[1]} << 8 | std::uint32_t{rp[2]} << 16 |
               std::uint32_t{rp[3]} << 24;
    key.count = patterns_[rp[0]].count;
    for (int a = 1; a < 4; ++a) {
      if (patterns_[rp[a]].count != key.count) key.count = -1;
    }
    if (key.count > kMaxStateSuccessors) key.count = -1;
    std::uint64_t h = key.rows * 0x9e3779b97f4a7c15u ^ static_cast<std::uint32_t>(key.count);
    if (with_offsets && key.count > 0) {
      for (int a = 0; a < 4; ++a) {
        const std::int64_t begin = offsets_csr[4 * s + static_cast<std::size_t>(a)];
        for (int u = 0; u < key.count; ++u) {
          key.offset[u][a] = next[static_cast<std::size_t>(begin + u)] - static_cast<std::int32_t>(s);
          h = (h ^ static_cast<std::uint32_t>(key.offset[u][a])) * 0xff51afd7ed558ccdu;
        }
      }
    }
    h ^= h >> 29;
    std::size_t slot = static_cast<std::size_t>(h >> 40) & (kSlots - 1);
    while (slot_pattern[slot] >= 0 && !(keys[static_cast<std::size_t>(slot_pattern[slot])] == key)) {
      slot = (slot + 1) & (kSlots - 1);
    }
    if (slot_pattern[slot] < 0) {
      if (keys.size() == kMaxPatterns) return false;
      slot_pattern[slot] = static_cast<int>(keys.size());
      keys.push_back(key);
    }
    state_pattern[s] = static_cast<std::uint8_t>(slot_pattern[slot]);
  }
  std::vector<StatePattern4> patterns(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    StatePattern4& sp = patterns[i];
    const Key& key = keys[i];
    sp.count = key.count;
    sp.stencil = with_offsets && key.count >= 0;
    for (int a = 0; a < 4; ++a) {
      const Pattern& row = patterns_[(key.rows >> (8 * a)) & 0xffu];
      sp.reward[a] = row.reward;
      for (int u = 0; u < key.count; ++u) {
        sp.prob[u][a] = probs_[static_cast<std::size_t>(row.prob_begin + u)];
        sp.offset[u][a] = key.offset[u][a];
      }
    }
  }
  state_pattern_ = std::move(state_pattern);
  state_patterns_ = std::move(patterns);
  return true;
}

}  // namespace cai
