#include "cai/mdp/features.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/mdp/mdp_json.h"

namespace cai {

std::span<const double> FeatureTable::Row(int s, int a) const {
  const std::size_t row = kind == FeatureKind::kState
                              ? static_cast<std::size_t>(s)
                              : static_cast<std::size_t>(s) * static_cast<std::size_t>(num_actions) +
                                    static_cast<std::size_t>(a);
  const auto k = static_cast<std::size_t>(num_features);
  return std::span<const double>(values).subspan(row * k, k);
}

std::string FeatureTable::FeatureName(int k) const {
  return names.empty() ? fmt::format("f{}", k) : names[static_cast<std::size_t>(k)];
}

void ValidateFeatures(const FeatureTable& f, const Mdp& mdp) {
  if (f.num_states != mdp.num_states()) {
    throw Error(fmt::format("features: num_states {} does not match the MDP's {}", f.num_states,
                            mdp.num_states()));
  }
  if (f.num_actions != mdp.num_actions()) {
    throw Error(fmt::format("features: num_actions {} does not match the MDP's {}", f.num_actions,
                            mdp.num_actions()));
  }
  if (f.num_features < 1) {
    throw Error(fmt::format("features: num_features {} is invalid (expected >= 1)", f.num_features));
  }
  const std::size_t expected = f.num_rows() * static_cast<std::size_t>(f.num_features);
  if (f.values.size() != expected) {
    throw Error(fmt::format("features: {} values given (expected {} rows x {} features = {})",
                            f.values.size(), f.num_rows(), f.num_features, expected));
  }
  if (!f.names.empty() && f.names.size() != static_cast<std::size_t>(f.num_features)) {
    throw Error(fmt::format("features: {} names given (expected 0 or num_features = {})",
                            f.names.size(), f.num_features));
  }
  for (std::size_t i = 0; i < f.values.size(); ++i) {
    if (!std::isfinite(f.values[i])) {
      throw Error(fmt::format("features: values[{}][{}] is {} (expected a finite number)",
                              i / static_cast<std::size_t>(f.num_features),
                              i % static_cast<std::size_t>(f.num_features), f.values[i]));
    }
  }
}

void LinearReward(const FeatureTable& f, std::span<const double> theta, std::span<double> rewards) {
  const auto k = static_cast<std::size_t>(f.num_features);
  const auto na = static_cast<std::size_t>(f.num_actions);
  const double* v = f.values.data();
  if (f.kind == FeatureKind::kState) {
    for (std::size_t s = 0; s < static_cast<std::size_t>(f.num_states); ++s) {
      double r = 0.0;
      for (std::size_t j = 0; j < k; ++j) r += theta[j] * v[s * k + j];
      for (std::size_t a = 0; a < na; ++a) rewards[s * na + a] = r;
    }
  } else {
    const std::size_t rows = f.num_rows();
    for (std::size_t i = 0; i < rows; ++i) {
      double r = 0.0;
      for (std::size_t j = 0; j < k; ++j) r += theta[j] * v[i * k + j];
      rewards[i] = r;
    }
  }
}

FeatureTable IndicatorFeatures(const Mdp& mdp) {
  FeatureTable f;
  f.kind = FeatureKind::kState;
  f.num_states = mdp.num_states();
  f.num_actions = mdp.num_actions();
  f.num_features = mdp.num_states();
  const auto n = static_cast<std::size_t>(f.num_states);
  f.values.assign(n * n, 0.0);
  for (std::size_t s = 0; s < n; ++s) f.values[s * n + s] = 1.0;
  for (int s = 0; s < f.num_states; ++s) f.names.push_back("state " + mdp.StateName(s));
  return f;
}

namespace {

int ReadCount(const nlohmann::json& doc, const char* key) {
  if (!doc.contains(key) || !doc[key].is_number_integer() || doc[key].get<long long>() < 1 ||
      doc[key].get<long long>() > 2147483647LL) {
    throw Error(fmt::format("{}: {} (expected a positive integer)", key,
                            doc.contains(key) ? doc[key].dump() : std::string("missing")));
  }
  return doc[key].get<int>();
}

}  // namespace

FeatureTable FeaturesFromJson(const nlohmann::json& doc) {
  if (!doc.is_object()) throw Error("features: expected a JSON object");
  if (!doc.contains("format") || doc["format"] != kFeaturesFormat) {
    throw Error(fmt::format("format: {} (expected \"{}\")",
                            doc.contains("format") ? doc["format"].dump() : std::string("missing"),
                            kFeaturesFormat));
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "format" && key != "kind" && key != "num_states" && key != "num_actions" &&
        key != "names" && key != "values") {
      throw Error(fmt::format("{}: unknown key (expected format, kind, num_states, num_actions, "
                              "names, values)", key));
    }
  }
  FeatureTable f;
  const std::string kind = doc.contains("kind") && doc["kind"].is_string()
                               ? doc["kind"].get<std::string>()
                               : std::string("(missing)");
  if (kind == "state") {
    f.kind = FeatureKind::kState;
  } else if (kind == "state_action") {
    f.kind = FeatureKind::kStateAction;
  } else {
    throw Error(fmt::format("kind: {} (expected \"state\" or \"state_action\")",
                            doc.contains("kind") ? doc["kind"].dump() : std::string("missing")));
  }
  f.num_states = ReadCount(doc, "num_states");
  f.num_actions = ReadCount(doc, "num_actions");
  if (doc.contains("names")) {
    if (!doc["names"].is_array()) throw Error("names: expected an array of strings");
    for (std::size_t i = 0; i < doc["names"].size(); ++i) {
      if (!doc["names"][i].is_string()) {
        throw Error(fmt::format("names[{}]: {} (expected a string)", i, doc["names"][i].dump()));
      }
      f.names.push_back(doc["names"][i].get<std::string>());
    }
  }
  if (!doc.contains("values") || !doc["values"].is_array()) {
    throw Error("values: missing (expected an array of rows)");
  }
  const auto& rows = doc["values"];
  if (rows.size() != f.num_rows()) {
    throw Error(fmt::format("values: {} rows (expected {}: one per {})", rows.size(), f.num_rows(),
                            f.kind == FeatureKind::kState ? "state" : "state-action"));
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].is_array() || rows[i].empty()) {
      throw Error(fmt::format("values[{}]: expected a non-empty array of numbers", i));
    }
    if (i == 0) f.num_features = static_cast<int>(rows[0].size());
    if (rows[i].size() != static_cast<std::size_t>(f.num_features)) {
      throw Error(fmt::format("values[{}]: {} entries (expected {}, as in values[0])", i,
                              rows[i].size(), f.num_features));
    }
    for (std::size_t j = 0; j < rows[i].size(); ++j) {
      if (!rows[i][j].is_number()) {
        throw Error(fmt::format("values[{}][{}]: {} (expected a number)", i, j, rows[i][j].dump()));
      }
      const double x = rows[i][j].get<double>();
      if (!std::isfinite(x)) {
        throw Error(fmt::format("values[{}][{}]: {} (expected a finite number)", i, j, x));
      }
      f.values.push_back(x);
    }
  }
  if (!f.names.empty() && f.names.size() != static_cast<std::size_t>(f.num_features)) {
    throw Error(fmt::format("names: {} given (expected 0 or one per feature, {})", f.names.size(),
                            f.num_features));
  }
  return f;
}

nlohmann::json FeaturesToJson(const FeatureTable& f) {
  nlohmann::json doc;
  doc["format"] = kFeaturesFormat;
  doc["kind"] = f.kind == FeatureKind::kState ? "state" : "state_action";
  doc["num_states"] = f.num_states;
  doc["num_actions"] = f.num_actions;
  if (!f.names.empty()) doc["names"] = f.names;
  nlohmann::json rows = nlohmann::json::array();
  const auto k = static_cast<std::size_t>(f.num_features);
  for (std::size_t i = 0; i < f.num_rows(); ++i) {
    rows.push_back(std::vector<double>(f.values.begin() + static_cast<std::ptrdiff_t>(i * k),
                                       f.values.begin() + static_cast<std::ptrdiff_t>((i + 1) * k)));
  }
  doc["values"] = std::move(rows);
  return doc;
}

FeatureTable LoadFeatures(const std::string& path) {
  const nlohmann::json doc = ReadJsonFile(path);
  try {
    return FeaturesFromJson(doc);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
}

void SaveFeatures(const FeatureTable& features, const std::string& path) {
  WriteFileAtomically(path, FeaturesToJson(features).dump() + "\n");
}

}  // namespace cai
