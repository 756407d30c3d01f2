// The action prior p(a|s): the design knob of control as inference (docs/priors.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace cai {

enum class PriorKind {
  kNone,     ///< counting measure, p(a|s) = 1: V = temperature * log sum_a exp(Q / temperature)
  kUniform,  ///< p(a|s) = 1 / |A|: shifts V by -temperature * log |A|, same policy as kNone
  kTable,    ///< a given table p(a|s), rows summing to 1; actions with p = 0 are never taken
};

inline constexpr const char* kPriorFormat = "cai.prior/1";

/// An action prior. Immutable; construct with None(), Uniform() or Table().
class ActionPrior {
 public:
  ActionPrior() = default;  // the counting measure
  static ActionPrior None() { return ActionPrior(); }
  static ActionPrior Uniform();
  /// `probabilities` is num_states x num_actions, row-major; every row must be a probability
  /// vector (non-negative, finite, summing to 1 within 1e-9). Throws cai::Error otherwise.
  /// table() keeps the rows as given (for saving); log_table() holds them divided by their sums.
  static ActionPrior Table(int num_states, int num_actions, std::vector<double> probabilities);

  PriorKind kind() const { return kind_; }
  /// log p(a|s) (0 for kNone, -log |A| for kUniform, -inf where a table is zero).
  double LogProb(int s, int a, int num_actions) const;
  /// For kTable: the log table, row-major. Empty otherwise.
  const std::vector<double>& log_table() const { return log_table_; }
  const std::vector<double>& table() const { return table_; }
  int num_states() const { return num_states_; }
  int num_actions() const { return num_actions_; }
  /// Throws cai::Error unless the prior fits an MDP of this size.
  void CheckFits(int num_states, int num_actions) const;
  std::string Describe() const;

 private:
  PriorKind kind_ = PriorKind::kNone;
  int num_states_ = 0;
  int num_actions_ = 0;
  std::vector<double> table_;
  std::vector<double> log_table_;
};

/// Parses {"format": "cai.prior/1", "num_states": S, "num_actions": A, "probabilities": [[...]]}.
ActionPrior ActionPriorFromJson(const nlohmann::json& doc);
nlohmann::json ActionPriorToJson(const ActionPrior& prior);
/// Reads a `cai.prior/1` file; errors are prefixed with the path.
ActionPrior LoadActionPrior(const std::string& path);

/// The prior named "none" (the counting measure) or "uniform"; nullopt for any other text.
std::optional<ActionPrior> NamedActionPrior(const std::string& name);
/// What a --prior argument says: "none", "uniform" or the path of a `cai.prior/1` file.
ActionPrior ParseActionPrior(const std::string& text);

}  // namespace cai
