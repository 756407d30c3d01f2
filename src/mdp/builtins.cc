#include "cai/mdp/builtins.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/mdp/objectworld.h"

namespace cai {
namespace {

void CheckProbability(double p, const char* name) {
  if (!std::isfinite(p) || p < 0.0 || p > 1.0) {
    throw Error(fmt::format("{}: {} is not in [0, 1]", name, p));
  }
}

void CheckFinite(double v, const char* name) {
  if (!std::isfinite(v)) throw Error(fmt::format("{}: {} is not finite", name, v));
}

// Parameter reader: records which keys were read so that unknown ones can be reported.
class Params {
 public:
  Params(std::string builtin, const std::map<std::string, std::string>& values)
      : builtin_(std::move(builtin)), values_(values) {}

  double Double(const std::string& key, double fallback) {
    known_.insert(key);
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    return ParseDouble(key, it->second);
  }

  int Int(const std::string& key, int fallback) {
    known_.insert(key);
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    const double d = ParseDouble(key, it->second);
    if (d != std::floor(d) || std::abs(d) > 2147483647.0) {
      throw Error(fmt::format("{}: parameter {}={} is not an integer", builtin_, key, it->second));
    }
    return static_cast<int>(d);
  }

  std::vector<double> Doubles(const std::string& key, std::vector<double> fallback) {
    known_.insert(key);
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    std::vector<double> out;
    for (const std::string& part : Split(it->second, ',')) out.push_back(ParseDouble(key, part));
    return out;
  }

  // Cells as "x,y;x,y".
  std::vector<std::pair<int, int>> Cells(const std::string& key,
                                         std::vector<std::pair<int, int>> fallback) {
    known_.insert(key);
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    std::vector<std::pair<int, int>> out;
    if (it->second.empty()) return out;
    for (const std::string& cell : Split(it->second, ';')) {
      const auto xy = Split(cell, ',');
      if (xy.size() != 2) {
        throw Error(fmt::format("{}: parameter {}: cell \"{}\" is not of the form x,y", builtin_,
                                key, cell));
      }
      const double x = ParseDouble(key, xy[0]);
      const double y = ParseDouble(key, xy[1]);
      if (x != std::floor(x) || y != std::floor(y)) {
        throw Error(fmt::format("{}: parameter {}: cell \"{}\" has non-integer coordinates",
                                builtin_, key, cell));
      }
      out.emplace_back(static_cast<int>(x), static_cast<int>(y));
    }
    return out;
  }

  void CheckAllKnown() const {
    for (const auto& [key, value] : values_) {
      if (!known_.count(key)) {
        std::string list;
        for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
        throw Error(fmt::format("{}: unknown parameter \"{}\" (known: {})", builtin_, key,
                                list.empty() ? "none" : list));
      }
    }
  }

 private:
  static std::vector<std::string> Split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
      const std::size_t pos = s.find(sep, start);
      parts.push_back(s.substr(start, pos - start));
      if (pos == std::string::npos) break;
      start = pos + 1;
    }
    return parts;
  }

  double ParseDouble(const std::string& key, const std::string& text) const {
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v)) {
      throw Error(fmt::format("{}: parameter {}=\"{}\" is not a finite number", builtin_, key,
                              text));
    }
    return v;
  }

  std::string builtin_;
  const std::map<std::string, std::string>& values_;
  std::set<std::string> known_;
};

}  // namespace

Mdp MakeBandit(const std::vector<double>& rewards) {
  if (rewards.empty()) throw Error("bandit: rewards: expected at least one reward");
  MdpSpec spec;
  spec.num_states = 1;
  spec.num_actions = static_cast<int>(rewards.size());
  spec.rewards = {rewards};
  spec.state_names = {"start"};
  for (std::size_t a = 0; a < rewards.size(); ++a) spec.action_names.push_back(fmt::format("a{}", a + 1));
  return Mdp::FromSpec(spec);
}

Mdp MakeTwoActionExample() { return MakeBandit({1.0, 0.0}); }
Mdp MakeThreeActionExample() { return MakeBandit({2.0, 1.0, 0.0}); }

Mdp MakeGridworld(const GridworldOptions& o) {
  if (o.width < 1 || o.height < 1) {
    throw Error(fmt::format("gridworld: width {} x height {} must be positive", o.width, o.height));
  }
  if (std::int64_t{o.width} * o.height > std::int64_t{1} << 28) {
    throw Error(fmt::format("gridworld: {} x {} cells is too large (at most 2^28)", o.width,
                            o.height));
  }
  CheckProbability(o.slip, "gridworld: slip");
  CheckFinite(o.step_reward, "gridworld: step_reward");
  CheckFinite(o.goal_reward, "gridworld: goal_reward");
  CheckFinite(o.trap_reward, "gridworld: trap_reward");
  const int w = o.width;
  const int h = o.height;
  const int n = w * h;
  auto check_cell = [&](std::pair<int, int> c, const char* what) {
    if (c.first < 0 || c.first >= w || c.second < 0 || c.second >= h) {
      throw Error(fmt::format("gridworld: {} cell ({},{}) is outside the {} x {} grid", what,
                              c.first, c.second, w, h));
    }
  };
  std::vector<std::pair<int, int>> goals = o.goals;
  if (goals.empty()) goals = {{w - 1, h - 1}};
  enum Kind : char { kPlain, kGoal, kTrap };
  std::vector<char> kind(static_cast<std::size_t>(n), kPlain);
  for (auto c : goals) {
    check_cell(c, "goal");
    kind[static_cast<std::size_t>(c.second * w + c.first)] = kGoal;
  }
  for (auto c : o.traps) {
    check_cell(c, "trap");
    auto& k = kind[static_cast<std::size_t>(c.second * w + c.first)];
    if (k == kGoal) {
      throw Error(fmt::format("gridworld: cell ({},{}) is both a goal and a trap", c.first, c.second));
    }
    k = kTrap;
  }
  check_cell(o.start, "start");

  MdpSpec spec;
  spec.num_states = n;
  spec.num_actions = 4;
  spec.action_names = {"up", "down", "left", "right"};
  spec.grid = GridLayout{w, h};
  spec.initial = {{o.start.second * w + o.start.first, 1.0}};
  spec.rewards.assign(static_cast<std::size_t>(n), std::vector<double>(4, o.step_reward));
  spec.transitions.reserve(static_cast<std::size_t>(n) * 4);
  constexpr int kDx[4] = {0, 0, -1, 1};
  constexpr int kDy[4] = {-1, 1, 0, 0};
  // Perpendicular directions of each action: up/down slip to left/right and vice versa.
  constexpr int kPerp[4][2] = {{2, 3}, {2, 3}, {0, 1}, {0, 1}};
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int s = y * w + x;
      const char k = kind[static_cast<std::size_t>(s)];
      if (k != kPlain) {
        const double r = (k == kGoal) ? o.goal_reward : o.trap_reward;
        spec.rewards[static_cast<std::size_t>(s)].assign(4, r);
        continue;  // every action ends the episode
      }
      auto target = [&](int dir) {
        const int nx = x + kDx[dir];
        const int ny = y + kDy[dir];
        return (nx < 0 || nx >= w || ny < 0 || ny >= h) ? s : ny * w + nx;
      };
      for (int a = 0; a < 4; ++a) {
        TransitionSpec t{s, a, {}};
        auto add = [&](int next, double p) {
          if (p == 0.0) return;
          for (auto& e : t.next) {
            if (e.first == next) {
              e.second += p;
              return;
            }
          }
          t.next.emplace_back(next, p);
        };
        add(target(a), 1.0 - o.slip);
        add(target(kPerp[a][0]), o.slip / 2.0);
        add(target(kPerp[a][1]), o.slip / 2.0);
        spec.transitions.push_back(std::move(t));
      }
    }
  }
  spec.state_names.reserve(static_cast<std::size_t>(n));
  if (n <= 10000) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) spec.state_names.push_back(fmt::format("({},{})", x, y));
    }
  } else {
    spec.state_names.clear();  // large grids: names would only cost memory
  }
  return Mdp::FromSpec(spec);
}

Mdp MakeChain(const ChainOptions& o) {
  if (o.length < 2) throw Error(fmt::format("chain: length {} must be at least 2", o.length));
  CheckProbability(o.slip, "chain: slip");
  CheckFinite(o.small_reward, "chain: small_reward");
  CheckFinite(o.large_reward, "chain: large_reward");
  MdpSpec spec;
  spec.num_states = o.length;
  spec.num_actions = 2;
  spec.action_names = {"forward", "back"};
  spec.rewards.assign(static_cast<std::size_t>(o.length), std::vector<double>(2, 0.0));
  for (int s = 0; s < o.length; ++s) {
    const int forward = std::min(s + 1, o.length - 1);
    const bool last = (s == o.length - 1);
    // Expected rewards: the large reward is paid when "forward" is carried out in the last state;
    // the small reward whenever the agent ends up going back.
    spec.rewards[static_cast<std::size_t>(s)][0] =
        (1.0 - o.slip) * (last ? o.large_reward : 0.0) + o.slip * o.small_reward;
    spec.rewards[static_cast<std::size_t>(s)][1] =
        (1.0 - o.slip) * o.small_reward + o.slip * (last ? o.large_reward : 0.0);
    auto dist = [&](double p_forward) {
      std::vector<std::pair<int, double>> next;
      if (forward == 0) {
        next.emplace_back(0, 1.0);
      } else {
        if (p_forward > 0.0) next.emplace_back(forward, p_forward);
        if (p_forward < 1.0) next.emplace_back(0, 1.0 - p_forward);
      }
      return next;
    };
    spec.transitions.push_back(TransitionSpec{s, 0, dist(1.0 - o.slip)});
    spec.transitions.push_back(TransitionSpec{s, 1, dist(o.slip)});
  }
  return Mdp::FromSpec(spec);
}

Mdp MakeRandomMdp(const RandomMdpOptions& o) {
  if (o.num_states < 1 || o.num_actions < 1) {
    throw Error(fmt::format("random: states {} and actions {} must be positive", o.num_states,
                            o.num_actions));
  }
  if (o.branching < 1 || o.branching > o.num_states) {
    throw Error(fmt::format("random: branching {} must be in [1, states = {}]", o.branching,
                            o.num_states));
  }
  CheckProbability(o.terminal_probability, "random: terminal_probability");
  Rng rng(o.seed);
  MdpSpec spec;
  spec.num_states = o.num_states;
  spec.num_actions = o.num_actions;
  spec.rewards.assign(static_cast<std::size_t>(o.num_states),
                      std::vector<double>(static_cast<std::size_t>(o.num_actions)));
  // Distinct successors by a partial Fisher-Yates shuffle of perm, undone after each (s, a) so that
  // perm is the identity again (O(branching) per (s, a), not O(states)).
  std::vector<int> perm(static_cast<std::size_t>(o.num_states));
  for (int i = 0; i < o.num_states; ++i) perm[static_cast<std::size_t>(i)] = i;
  std::vector<std::size_t> swapped(static_cast<std::size_t>(o.branching));
  for (int s = 0; s < o.num_states; ++s) {
    for (int a = 0; a < o.num_actions; ++a) {
      spec.rewards[static_cast<std::size_t>(s)][static_cast<std::size_t>(a)] =
          2.0 * rng.Uniform() - 1.0;
      if (rng.Uniform() < o.terminal_probability) continue;
      TransitionSpec t{s, a, {}};
      std::vector<double> weights;
      double total = 0.0;
      for (int k = 0; k < o.branching; ++k) {
        const auto j = static_cast<std::size_t>(k) +
                       rng.UniformInt(static_cast<std::uint64_t>(o.num_states - k));
        std::swap(perm[static_cast<std::size_t>(k)], perm[j]);
        swapped[static_cast<std::size_t>(k)] = j;
        const double wgt = 0.05 + rng.Uniform();
        weights.push_back(wgt);
        total += wgt;
      }
      for (int k = 0; k < o.branching; ++k) {
        t.next.emplace_back(perm[static_cast<std::size_t>(k)],
                            weights[static_cast<std::size_t>(k)] / total);
      }
      for (int k = o.branching - 1; k >= 0; --k) {
        std::swap(perm[static_cast<std::size_t>(k)], perm[swapped[static_cast<std::size_t>(k)]]);
      }
      spec.transitions.push_back(std::move(t));
    }
  }
  // Probabilities computed as w / total can sum to 1 +- a few ulp, well inside the tolerance.
  return Mdp::FromSpec(spec);
}

Mdp MakeGamble(const GambleOptions& o) {
  CheckProbability(o.win_probability, "gamble: win_probability");
  CheckFinite(o.win_reward, "gamble: win_reward");
  CheckFinite(o.lose_reward, "gamble: lose_reward");
  CheckFinite(o.sure_reward, "gamble: sure_reward");
  MdpSpec spec;
  spec.num_states = 4;
  spec.num_actions = 2;
  spec.state_names = {"start", "sure", "win", "lose"};
  spec.action_names = {"safe", "gamble"};
  spec.rewards = {{0.0, 0.0},
                  {o.sure_reward, o.sure_reward},
                  {o.win_reward, o.win_reward},
                  {o.lose_reward, o.lose_reward}};
  std::vector<std::pair<int, double>> gamble;
  if (o.win_probability > 0.0) gamble.emplace_back(2, o.win_probability);
  if (o.win_probability < 1.0) gamble.emplace_back(3, 1.0 - o.win_probability);
  spec.transitions = {TransitionSpec{0, 0, {{1, 1.0}}}, TransitionSpec{0, 1, gamble}};
  return Mdp::FromSpec(spec);
}

std::vector<std::string> BuiltinNames() {
  return {"bandit", "two_action", "three_action", "gridworld", "chain", "random", "gamble",
          "objectworld"};
}

namespace {

Objectworld ObjectworldFromParams(Params& p) {
  ObjectworldOptions o;
  o.size = p.Int("size", o.size);
  o.num_objects = p.Int("objects", o.num_objects);
  o.num_colours = p.Int("colours", o.num_colours);
  o.move_success = p.Double("move_success", o.move_success);
  o.continuous_features = p.Int("continuous_features", 1) != 0;
  o.discrete_features = p.Int("discrete_features", 1) != 0;
  const int seed = p.Int("seed", 0);
  if (seed < 0) throw Error(fmt::format("objectworld: parameter seed={} must be >= 0", seed));
  o.seed = static_cast<std::uint64_t>(seed);
  return MakeObjectworld(o);
}

}  // namespace

Mdp MakeBuiltin(const std::string& name, const std::map<std::string, std::string>& values) {
  Params p(name, values);
  Mdp result = [&]() -> Mdp {
    if (name == "bandit") return MakeBandit(p.Doubles("rewards", {1.0, 0.0}));
    if (name == "two_action") return MakeTwoActionExample();
    if (name == "three_action") return MakeThreeActionExample();
    if (name == "gridworld") {
      GridworldOptions o;
      o.width = p.Int("width", o.width);
      o.height = p.Int("height", o.height);
      o.slip = p.Double("slip", o.slip);
      o.step_reward = p.Double("step_reward", o.step_reward);
      o.goal_reward = p.Double("goal_reward", o.goal_reward);
      o.trap_reward = p.Double("trap_reward", o.trap_reward);
      o.goals = p.Cells("goal", {});
      o.traps = p.Cells("trap", {});
      auto start = p.Cells("start", {{0, 0}});
      if (start.size() != 1) throw Error("gridworld: parameter start: expected one cell x,y");
      o.start = start[0];
      return MakeGridworld(o);
    }
    if (name == "chain") {
      ChainOptions o;
      o.length = p.Int("length", o.length);
      o.slip = p.Double("slip", o.slip);
      o.small_reward = p.Double("small_reward", o.small_reward);
      o.large_reward = p.Double("large_reward", o.large_reward);
      return MakeChain(o);
    }
    if (name == "random") {
      RandomMdpOptions o;
      o.num_states = p.Int("states", o.num_states);
      o.num_actions = p.Int("actions", o.num_actions);
      o.branching = p.Int("branching", o.branching);
      o.terminal_probability = p.Double("terminal_probability", o.terminal_probability);
      const int seed = p.Int("seed", 0);
      if (seed < 0) throw Error(fmt::format("random: parameter seed={} must be >= 0", seed));
      o.seed = static_cast<std::uint64_t>(seed);
      return MakeRandomMdp(o);
    }
    if (name == "gamble") {
      GambleOptions o;
      o.win_probability = p.Double("win_probability", o.win_probability);
      o.win_reward = p.Double("win_reward", o.win_reward);
      o.lose_reward = p.Double("lose_reward", o.lose_reward);
      o.sure_reward = p.Double("sure_reward", o.sure_reward);
      return MakeGamble(o);
    }
    if (name == "objectworld") return ObjectworldFromParams(p).mdp;
    std::string list;
    for (const auto& n : BuiltinNames()) list += (list.empty() ? "" : ", ") + n;
    throw Error(fmt::format("unknown built-in \"{}\" (expected one of: {})", name, list));
  }();
  p.CheckAllKnown();
  return result;
}

std::string DescribeBuiltins() {
  return "bandit        rewards=1,0 (one state, terminal after one step)\n"
         "two_action    the lesson's example r = (1, 0)\n"
         "three_action  the lesson's example r = (2, 1, 0)\n"
         "gridworld     width=5 height=5 slip=0.1 step_reward=-0.1 goal_reward=1 trap_reward=-1\n"
         "              goal=\"x,y;...\" (default bottom-right) trap=\"x,y;...\" start=0,0\n"
         "chain         length=5 slip=0.2 small_reward=0.2 large_reward=1\n"
         "random        states=10 actions=3 branching=3 terminal_probability=0 seed=0\n"
         "gamble        win_probability=0.1 win_reward=10 lose_reward=-10 sure_reward=0\n"
         "objectworld   size=32 objects=64 colours=2 move_success=0.7 seed=0\n"
         "              continuous_features=1 discrete_features=1 (Levine et al. 2011)\n";
}

FeatureTable MakeBuiltinFeatures(const std::string& name,
                                 const std::map<std::string, std::string>& values) {
  if (name == "objectworld") {
    Params p(name, values);
    Objectworld world = ObjectworldFromParams(p);
    p.CheckAllKnown();
    return std::move(world.features);
  }
  return IndicatorFeatures(MakeBuiltin(name, values));
}

}  // namespace cai
