#include "cai/mdp/action_prior.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/numerics.h"
#include "cai/mdp/mdp.h"
#include "cai/mdp/mdp_json.h"

namespace cai {

ActionPrior ActionPrior::Uniform() {
  ActionPrior p;
  p.kind_ = PriorKind::kUniform;
  return p;
}

ActionPrior ActionPrior::Table(int num_states, int num_actions, std::vector<double> probabilities) {
  if (num_states < 1 || num_actions < 1) {
    throw Error(fmt::format("prior: sizes {} x {} must be positive", num_states, num_actions));
  }
  const std::size_t n = static_cast<std::size_t>(num_states) * static_cast<std::size_t>(num_actions);
  if (probabilities.size() != n) {
    throw Error(fmt::format("prior: expected {} x {} = {} probabilities, got {}", num_states,
                            num_actions, n, probabilities.size()));
  }
  ActionPrior p;
  p.kind_ = PriorKind::kTable;
  p.num_states_ = num_states;
  p.num_actions_ = num_actions;
  p.log_table_.resize(n);
  for (int s = 0; s < num_states; ++s) {
    double total = 0.0;
    for (int a = 0; a < num_actions; ++a) {
      const double v = probabilities[static_cast<std::size_t>(s) * num_actions + a];
      if (!std::isfinite(v) || v < 0.0) {
        throw Error(fmt::format("probabilities[{}][{}]: {} is not a probability", s, a, v));
      }
      total += v;
      p.log_table_[static_cast<std::size_t>(s) * num_actions + a] =
          v > 0.0 ? std::log(v) : kNegInf;
    }
    if (std::abs(total - 1.0) > kProbabilitySumTolerance) {
      throw Error(fmt::format("probabilities[{}]: sums to {:.17g}, expected 1 (tolerance {:g})", s,
                              total, kProbabilitySumTolerance));
    }
    // A row within the tolerance is a probability vector written with rounding; the log table
    // holds it normalised so that the solvers see weights summing to 1.
    for (int a = 0; a < num_actions; ++a) {
      double& l = p.log_table_[static_cast<std::size_t>(s) * num_actions + a];
      if (l != kNegInf) l -= std::log(total);
    }
  }
  p.table_ = std::move(probabilities);
  return p;
}

double ActionPrior::LogProb(int s, int a, int num_actions) const {
  switch (kind_) {
    case PriorKind::kNone:
      return 0.0;
    case PriorKind::kUniform:
      return -std::log(static_cast<double>(num_actions));
    case PriorKind::kTable:
      return log_table_[static_cast<std::size_t>(s) * num_actions_ + a];
  }
  return 0.0;
}

void ActionPrior::CheckFits(int num_states, int num_actions) const {
  if (kind_ != PriorKind::kTable) return;
  if (num_states_ != num_states || num_actions_ != num_actions) {
    throw Error(fmt::format("prior: table is {} x {} but the MDP has {} states and {} actions",
                            num_states_, num_actions_, num_states, num_actions));
  }
}

std::string ActionPrior::Describe() const {
  switch (kind_) {
    case PriorKind::kNone:
      return "none (counting measure)";
    case PriorKind::kUniform:
      return "uniform";
    case PriorKind::kTable:
      return fmt::format("table {} x {}", num_states_, num_actions_);
  }
  return "";
}

ActionPrior ActionPriorFromJson(const nlohmann::json& doc) {
  using nlohmann::json;
  if (!doc.is_object()) throw Error("expected a JSON object");
  for (const auto& [key, value] : doc.items()) {
    if (key != "format" && key != "num_states" && key != "num_actions" && key != "probabilities") {
      throw Error(fmt::format(
          "unknown field \"{}\" (expected one of: format, num_states, num_actions, probabilities)",
          key));
    }
  }
  if (!doc.contains("format") || !doc["format"].is_string() ||
      doc["format"].get<std::string>() != kPriorFormat) {
    throw Error(fmt::format("format: expected \"{}\"", kPriorFormat));
  }
  for (const char* key : {"num_states", "num_actions", "probabilities"}) {
    if (!doc.contains(key)) throw Error(fmt::format("{}: missing", key));
  }
  if (!doc["num_states"].is_number_integer() || !doc["num_actions"].is_number_integer()) {
    throw Error("num_states, num_actions: expected integers");
  }
  const auto num_states = doc["num_states"].get<std::int64_t>();
  const auto num_actions = doc["num_actions"].get<std::int64_t>();
  if (num_states < 1 || num_actions < 1 || num_states > (1 << 30) || num_actions > (1 << 30)) {
    throw Error(fmt::format("num_states, num_actions: {} x {} must be positive", num_states,
                            num_actions));
  }
  const json& rows = doc["probabilities"];
  if (!rows.is_array() || rows.size() != static_cast<std::size_t>(num_states)) {
    throw Error(fmt::format("probabilities: expected an array of {} rows", num_states));
  }
  std::vector<double> table;
  table.reserve(static_cast<std::size_t>(num_states * num_actions));
  for (std::size_t s = 0; s < rows.size(); ++s) {
    if (!rows[s].is_array() || rows[s].size() != static_cast<std::size_t>(num_actions)) {
      throw Error(fmt::format("probabilities[{}]: expected {} numbers", s, num_actions));
    }
    for (std::size_t a = 0; a < rows[s].size(); ++a) {
      if (!rows[s][a].is_number()) {
        throw Error(fmt::format("probabilities[{}][{}]: expected a number, got {}", s, a,
                                rows[s][a].dump()));
      }
      table.push_back(rows[s][a].get<double>());
    }
  }
  return ActionPrior::Table(static_cast<int>(num_states), static_cast<int>(num_actions),
                            std::move(table));
}

nlohmann::json ActionPriorToJson(const ActionPrior& prior) {
  if (prior.kind() != PriorKind::kTable) {
    throw Error("only a table prior has a cai.prior/1 file");
  }
  nlohmann::json rows = nlohmann::json::array();
  for (int s = 0; s < prior.num_states(); ++s) {
    nlohmann::json row = nlohmann::json::array();
    for (int a = 0; a < prior.num_actions(); ++a) {
      row.push_back(prior.table()[static_cast<std::size_t>(s) * prior.num_actions() + a]);
    }
    rows.push_back(std::move(row));
  }
  return {{"format", kPriorFormat},
          {"num_states", prior.num_states()},
          {"num_actions", prior.num_actions()},
          {"probabilities", std::move(rows)}};
}

ActionPrior LoadActionPrior(const std::string& path) {
  const auto doc = ReadJsonFile(path);
  try {
    return ActionPriorFromJson(doc);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
}

std::optional<ActionPrior> NamedActionPrior(const std::string& name) {
  if (name == "none") return ActionPrior::None();
  if (name == "uniform") return ActionPrior::Uniform();
  return std::nullopt;
}

ActionPrior ParseActionPrior(const std::string& text) {
  if (auto named = NamedActionPrior(text)) return *std::move(named);
  return LoadActionPrior(text);
}

}  // namespace cai
