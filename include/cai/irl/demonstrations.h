// Demonstrations for inverse RL: trajectories as JSON Lines, validation, sampling from an expert.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cai/mdp/mdp.h"

namespace cai {

/// One demonstrated trajectory: the pairs (s_t, a_t), t = 0..n-1 (states and actions have the
/// same length n >= 1).
struct Demonstration {
  std::vector<int> states;
  std::vector<int> actions;
  bool operator==(const Demonstration&) const = default;
};

/// Parses JSON Lines, one trajectory per non-blank line: {"states": [...], "actions": [...]}.
/// Throws cai::Error naming the line (1-based) and the field: invalid JSON, unknown keys, missing
/// or non-integer entries, empty trajectories, states/actions length mismatch.
std::vector<Demonstration> ParseDemonstrations(const std::string& text);
/// One JSON object per line, ending with a newline.
std::string DemonstrationsToJsonLines(std::span<const Demonstration> demos);
/// Reads a JSON Lines file; errors are prefixed with the path.
std::vector<Demonstration> LoadDemonstrations(const std::string& path);
void SaveDemonstrations(std::span<const Demonstration> demos, const std::string& path);

/// Throws cai::Error naming the demonstration (0-based, as "demos[i]") and step unless every
/// demonstration fits `mdp`: at least one demonstration; states in [0, S) and actions in [0, A);
/// every step but the last is a non-terminal action whose dynamics can reach the next state
/// (p(s_{t+1} | s_t, a_t) > 0).
void ValidateDemonstrations(std::span<const Demonstration> demos, const Mdp& mdp);

/// `count` trajectories of `length` steps sampled in the MDP's own dynamics from its initial
/// distribution with the soft policy `policy` (S x A stationary, or T x S x A with T >= length);
/// a trajectory stops early when it takes a terminal action. Deterministic given `seed`.
std::vector<Demonstration> SampleDemonstrations(const Mdp& mdp, std::span<const double> policy,
                                                int count, int length, std::uint64_t seed);

}  // namespace cai
