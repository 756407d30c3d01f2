// Feature tables for linear rewards r(s, a) = theta . f(s, a) (inverse RL, issue #7).
#pragma once

#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cai/mdp/mdp.h"

namespace cai {

inline constexpr const char* kFeaturesFormat = "cai.features/1";

/// Whether a feature table has one row per state (f(s, a) = f(s) for every a) or one per
/// state-action pair.
enum class FeatureKind { kState, kStateAction };

/// A dense feature table: `values` is num_rows x num_features, row-major, where num_rows is
/// num_states (kState) or num_states * num_actions (kStateAction, row s * A + a).
struct FeatureTable {
  FeatureKind kind = FeatureKind::kState;
  int num_states = 0;
  int num_actions = 0;
  int num_features = 0;
  std::vector<std::string> names;  ///< empty or num_features entries
  std::vector<double> values;

  std::size_t num_rows() const {
    return kind == FeatureKind::kState
               ? static_cast<std::size_t>(num_states)
               : static_cast<std::size_t>(num_states) * static_cast<std::size_t>(num_actions);
  }
  /// f(s, a) as a span of num_features values.
  std::span<const double> Row(int s, int a) const;
  /// The name of feature k: its given name, else "f<k>".
  std::string FeatureName(int k) const;
};

/// Throws cai::Error naming the field and value unless the table is well formed (sizes agree,
/// every value finite, names empty or one per feature) and fits `mdp`.
void ValidateFeatures(const FeatureTable& features, const Mdp& mdp);

/// r(s, a) = theta . f(s, a) for every (s, a), written row-major into `rewards` (S x A).
void LinearReward(const FeatureTable& features, std::span<const double> theta,
                  std::span<double> rewards);

/// One-hot state features (f_k(s) = [s == k]): every state reward is representable.
FeatureTable IndicatorFeatures(const Mdp& mdp);

/// {"format": "cai.features/1", "kind": "state" | "state_action", "num_states": S,
///  "num_actions": A, "names": [...] (optional), "values": [[f_0 ... f_{K-1}], ...]} with one row
/// per state or per state-action (s * A + a). Errors name the JSON path and the value.
FeatureTable FeaturesFromJson(const nlohmann::json& doc);
nlohmann::json FeaturesToJson(const FeatureTable& features);
/// Reads a `cai.features/1` file; errors are prefixed with the path.
FeatureTable LoadFeatures(const std::string& path);
void SaveFeatures(const FeatureTable& features, const std::string& path);

}  // namespace cai
