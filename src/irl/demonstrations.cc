#include "cai/irl/demonstrations.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/inference/trajectory_sampling.h"
#include "cai/mdp/mdp_json.h"

namespace cai {
namespace {

std::vector<int> ReadIndices(const nlohmann::json& doc, const char* key, int line) {
  if (!doc.contains(key)) {
    throw Error(fmt::format("line {}: \"{}\" is missing (expected an array of integers)", line, key));
  }
  const auto& arr = doc[key];
  if (!arr.is_array()) {
    throw Error(fmt::format("line {}: {}: {} (expected an array of integers)", line, key,
                            arr.dump()));
  }
  std::vector<int> out;
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_number_integer() || arr[i].get<long long>() < -2147483648LL ||
        arr[i].get<long long>() > 2147483647LL) {
      throw Error(fmt::format("line {}: {}[{}]: {} (expected an integer index)", line, key, i,
                              arr[i].dump()));
    }
    out.push_back(arr[i].get<int>());
  }
  return out;
}

}  // namespace

std::vector<Demonstration> ParseDemonstrations(const std::string& text) {
  std::vector<Demonstration> demos;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    if (raw.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(raw);
    } catch (const nlohmann::json::exception& e) {
      throw Error(fmt::format("line {}: invalid JSON ({})", line, e.what()));
    }
    if (!doc.is_object()) {
      throw Error(fmt::format("line {}: expected a JSON object {{\"states\": [...], \"actions\": "
                              "[...]}}", line));
    }
    for (const auto& [key, value] : doc.items()) {
      if (key != "states" && key != "actions") {
        throw Error(fmt::format("line {}: unknown key \"{}\" (expected states, actions)", line, key));
      }
    }
    Demonstration d;
    d.states = ReadIndices(doc, "states", line);
    d.actions = ReadIndices(doc, "actions", line);
    if (d.states.empty()) {
      throw Error(fmt::format("line {}: empty trajectory (expected at least one state and action)",
                              line));
    }
    if (d.states.size() != d.actions.size()) {
      throw Error(fmt::format("line {}: {} states but {} actions (expected the same number: the "
                              "pairs (s_t, a_t))", line, d.states.size(), d.actions.size()));
    }
    demos.push_back(std::move(d));
  }
  return demos;
}

std::string DemonstrationsToJsonLines(std::span<const Demonstration> demos) {
  std::string out;
  for (const auto& d : demos) {
    nlohmann::json doc;
    doc["states"] = d.states;
    doc["actions"] = d.actions;
    out += doc.dump();
    out += '\n';
  }
  return out;
}

std::vector<Demonstration> LoadDemonstrations(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open file for reading", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return ParseDemonstrations(buffer.str());
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
}

void SaveDemonstrations(std::span<const Demonstration> demos, const std::string& path) {
  WriteFileAtomically(path, DemonstrationsToJsonLines(demos));
}

void ValidateDemonstrations(std::span<const Demonstration> demos, const Mdp& mdp) {
  if (demos.empty()) throw Error("demos: no demonstrations (expected at least one trajectory)");
  for (std::size_t i = 0; i < demos.size(); ++i) {
    const auto& d = demos[i];
    if (d.states.empty() || d.states.size() != d.actions.size()) {
      throw Error(fmt::format("demos[{}]: {} states and {} actions (expected the same number, >= 1)",
                              i, d.states.size(), d.actions.size()));
    }
    for (std::size_t t = 0; t < d.states.size(); ++t) {
      if (d.states[t] < 0 || d.states[t] >= mdp.num_states()) {
        throw Error(fmt::format("demos[{}]: states[{}] = {} is out of range (expected 0 to {})", i,
                                t, d.states[t], mdp.num_states() - 1));
      }
      if (d.actions[t] < 0 || d.actions[t] >= mdp.num_actions()) {
        throw Error(fmt::format("demos[{}]: actions[{}] = {} is out of range (expected 0 to {})", i,
                                t, d.actions[t], mdp.num_actions() - 1));
      }
    }
    for (std::size_t t = 0; t + 1 < d.states.size(); ++t) {
      const int s = d.states[t];
      const int a = d.actions[t];
      if (mdp.IsTerminal(s, a)) {
        throw Error(fmt::format("demos[{}]: step {} takes action {} in state {}, which ends the "
                                "episode, but the trajectory goes on", i, t, a, s));
      }
      bool reachable = false;
      const auto next = mdp.NextStates(s, a);
      const auto prob = mdp.NextProbabilities(s, a);
      for (std::size_t k = 0; k < next.size(); ++k) {
        reachable = reachable || (next[k] == d.states[t + 1] && prob[k] > 0.0);
      }
      if (!reachable) {
        throw Error(fmt::format("demos[{}]: step {}: state {} cannot follow state {} and action {} "
                                "(p(s'|s,a) = 0 in the MDP)", i, t + 1, d.states[t + 1], s, a));
      }
    }
  }
}

std::vector<Demonstration> SampleDemonstrations(const Mdp& mdp, std::span<const double> policy,
                                                int count, int length, std::uint64_t seed) {
  if (count < 1) throw Error(fmt::format("count: {} is invalid (expected >= 1)", count));
  if (length < 1) throw Error(fmt::format("length: {} is invalid (expected >= 1)", length));
  Rng rng(seed);
  std::vector<Demonstration> demos;
  demos.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    Trajectory tr = SampleTrajectory(mdp, policy, length, rng);
    demos.push_back(Demonstration{std::move(tr.states), std::move(tr.actions)});
  }
  return demos;
}

}  // namespace cai
