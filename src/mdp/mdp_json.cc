#include "cai/mdp/mdp_json.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"

namespace cai {
namespace {

using nlohmann::json;

std::string Describe(const json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

int ReadInt(const json& v, const std::string& where) {
  if (v.is_number_integer()) {
    const auto x = v.get<std::int64_t>();
    if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max()) {
      throw Error(fmt::format("{}: {} is out of the integer range", where, x));
    }
    return static_cast<int>(x);
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 2147483648.0) {
      return static_cast<int>(d);
    }
  }
  throw Error(fmt::format("{}: expected an integer, got {}", where, Describe(v)));
}

double ReadNumber(const json& v, const std::string& where) {
  if (!v.is_number()) {
    throw Error(fmt::format("{}: expected a number, got {}", where, Describe(v)));
  }
  const double d = v.get<double>();
  if (!std::isfinite(d)) throw Error(fmt::format("{}: {} is not finite", where, d));
  return d;
}

const json& ExpectArray(const json& v, const std::string& where) {
  if (!v.is_array()) throw Error(fmt::format("{}: expected an array, got {}", where, Describe(v)));
  return v;
}

void CheckKeys(const json& obj, const std::set<std::string>& allowed, const std::string& where) {
  for (const auto& [key, value] : obj.items()) {
    if (!allowed.count(key)) {
      std::string known;
      for (const auto& k : allowed) known += (known.empty() ? "" : ", ") + k;
      throw Error(fmt::format("{}unknown field \"{}\" (expected one of: {})",
                              where.empty() ? "" : where + ": ", key, known));
    }
  }
}

std::vector<std::pair<int, double>> ReadPairs(const json& v, const std::string& where) {
  ExpectArray(v, where);
  std::vector<std::pair<int, double>> out;
  out.reserve(v.size());
  for (std::size_t k = 0; k < v.size(); ++k) {
    const std::string at = fmt::format("{}[{}]", where, k);
    const json& e = v[k];
    if (!e.is_array() || e.size() != 2) {
      throw Error(fmt::format("{}: expected [state, probability], got {}", at, Describe(e)));
    }
    out.emplace_back(ReadInt(e[0], at + "[0]"), ReadNumber(e[1], at + "[1]"));
  }
  return out;
}

std::vector<std::string> ReadNames(const json& v, const std::string& where) {
  ExpectArray(v, where);
  std::vector<std::string> out;
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (!v[k].is_string()) {
      throw Error(fmt::format("{}[{}]: expected a string, got {}", where, k, Describe(v[k])));
    }
    out.push_back(v[k].get<std::string>());
  }
  return out;
}

json PairsToJson(const std::vector<std::pair<int, double>>& pairs) {
  json out = json::array();
  for (const auto& [state, p] : pairs) out.push_back(json::array({state, p}));
  return out;
}

}  // namespace

Mdp MdpFromJson(const json& doc) {
  if (!doc.is_object()) throw Error(fmt::format("expected a JSON object, got {}", Describe(doc)));
  CheckKeys(doc,
            {"format", "num_states", "num_actions", "rewards", "transitions", "initial",
             "state_names", "action_names", "grid"},
            "");
  if (!doc.contains("format")) {
    throw Error(fmt::format("format: missing (expected \"{}\")", kMdpFormat));
  }
  if (!doc["format"].is_string() || doc["format"].get<std::string>() != kMdpFormat) {
    throw Error(fmt::format("format: unknown format {} (expected \"{}\")", Describe(doc["format"]),
                            kMdpFormat));
  }
  for (const char* key : {"num_states", "num_actions", "rewards"}) {
    if (!doc.contains(key)) throw Error(fmt::format("{}: missing", key));
  }
  MdpSpec spec;
  spec.num_states = ReadInt(doc["num_states"], "num_states");
  spec.num_actions = ReadInt(doc["num_actions"], "num_actions");
  if (spec.num_states < 1) {
    throw Error(fmt::format("num_states: {} is not a positive integer", spec.num_states));
  }
  if (spec.num_actions < 1) {
    throw Error(fmt::format("num_actions: {} is not a positive integer", spec.num_actions));
  }
  const json& rewards = ExpectArray(doc["rewards"], "rewards");
  for (std::size_t s = 0; s < rewards.size(); ++s) {
    const std::string at = fmt::format("rewards[{}]", s);
    ExpectArray(rewards[s], at);
    std::vector<double> row;
    row.reserve(rewards[s].size());
    for (std::size_t a = 0; a < rewards[s].size(); ++a) {
      row.push_back(ReadNumber(rewards[s][a], fmt::format("{}[{}]", at, a)));
    }
    spec.rewards.push_back(std::move(row));
  }
  if (doc.contains("transitions")) {
    const json& ts = ExpectArray(doc["transitions"], "transitions");
    for (std::size_t k = 0; k < ts.size(); ++k) {
      const std::string at = fmt::format("transitions[{}]", k);
      const json& t = ts[k];
      if (!t.is_object()) {
        throw Error(fmt::format("{}: expected an object {{\"s\", \"a\", \"next\"}}, got {}", at,
                                Describe(t)));
      }
      CheckKeys(t, {"s", "a", "next"}, at);
      for (const char* key : {"s", "a", "next"}) {
        if (!t.contains(key)) throw Error(fmt::format("{}.{}: missing", at, key));
      }
      spec.transitions.push_back(TransitionSpec{ReadInt(t["s"], at + ".s"),
                                                ReadInt(t["a"], at + ".a"),
                                                ReadPairs(t["next"], at + ".next")});
    }
  }
  if (doc.contains("initial")) {
    spec.initial = ReadPairs(doc["initial"], "initial");
    if (spec.initial.empty()) {
      throw Error("initial: empty list (omit the field to start in state 0)");
    }
  }
  if (doc.contains("state_names")) spec.state_names = ReadNames(doc["state_names"], "state_names");
  if (doc.contains("action_names")) {
    spec.action_names = ReadNames(doc["action_names"], "action_names");
  }
  if (doc.contains("grid")) {
    const json& g = doc["grid"];
    if (!g.is_object()) throw Error(fmt::format("grid: expected an object, got {}", Describe(g)));
    CheckKeys(g, {"width", "height"}, "grid");
    if (!g.contains("width") || !g.contains("height")) {
      throw Error("grid: expected {\"width\": W, \"height\": H}");
    }
    spec.grid = GridLayout{ReadInt(g["width"], "grid.width"), ReadInt(g["height"], "grid.height")};
  }
  return Mdp::FromSpec(spec);
}

json MdpToJson(const Mdp& mdp) {
  const MdpSpec spec = mdp.ToSpec();
  json doc;
  doc["format"] = kMdpFormat;
  doc["num_states"] = spec.num_states;
  doc["num_actions"] = spec.num_actions;
  doc["rewards"] = spec.rewards;
  json ts = json::array();
  for (const auto& t : spec.transitions) {
    ts.push_back(json{{"s", t.s}, {"a", t.a}, {"next", PairsToJson(t.next)}});
  }
  doc["transitions"] = std::move(ts);
  if (!spec.initial.empty()) doc["initial"] = PairsToJson(spec.initial);
  if (!spec.state_names.empty()) doc["state_names"] = spec.state_names;
  if (!spec.action_names.empty()) doc["action_names"] = spec.action_names;
  if (spec.grid) doc["grid"] = json{{"width", spec.grid->width}, {"height", spec.grid->height}};
  return doc;
}

json ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open file for reading", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return json::parse(buffer.str());
  } catch (const json::parse_error& e) {
    throw Error(fmt::format("{}: invalid JSON at byte {}: {}", path, e.byte, e.what()));
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: invalid JSON: {}", path, e.what()));
  }
}

Mdp LoadMdp(const std::string& path) {
  const json doc = ReadJsonFile(path);
  try {
    return MdpFromJson(doc);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
}

void SaveMdp(const Mdp& mdp, const std::string& path) {
  WriteFileAtomically(path, MdpToJson(mdp).dump(1) + "\n");
}

}  // namespace cai
