// Speed of one IRL gradient evaluation (backward pass, forward pass, feature expectations) on an
// objectworld, for bench/run_irl_bench.sh. Prints one JSON line.
//
//   bench_irl --size 32 --horizon 100 --repeats 21 [--method mce|maxent] [--discrete 1]
//             [--objects 64] [--checkpoint-interval B]
//             [--dump DIR]   (writes mdp.json, features.json, theta.json, ours.json for the peer)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/rng.h"
#include "cai/irl/maxent_irl.h"
#include "cai/mdp/mdp_json.h"
#include "cai/mdp/objectworld.h"

int main(int argc, char** argv) {
  int size = 32;
  int horizon = 100;
  int repeats = 21;
  int discrete = 1;
  int interval = 0;
  int objects = 64;
  std::string method = "mce";
  std::string dump;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--size") size = std::atoi(value.c_str());
    else if (key == "--horizon") horizon = std::atoi(value.c_str());
    else if (key == "--repeats") repeats = std::atoi(value.c_str());
    else if (key == "--discrete") discrete = std::atoi(value.c_str());
    else if (key == "--checkpoint-interval") interval = std::atoi(value.c_str());
    else if (key == "--objects") objects = std::atoi(value.c_str());
    else if (key == "--method") method = value;
    else if (key == "--dump") dump = value;
    else {
      std::fprintf(stderr, "bench_irl: unknown flag %s\n", key.c_str());
      return 2;
    }
  }
  const auto t_build = std::chrono::steady_clock::now();
  cai::ObjectworldOptions wo;
  wo.size = size;
  wo.num_objects = objects;  // the gradient's cost does not depend on it (features are dense)
  wo.discrete_features = discrete != 0;
  wo.seed = 1;
  const cai::Objectworld world = cai::MakeObjectworld(wo);
  const double build_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_build).count();
  const int k = world.features.num_features;
  // Eight demonstrations that stay in random cells: the cost of a gradient does not depend on
  // them (the forward pass starts from their 8 first states and spreads over the grid).
  std::vector<cai::Demonstration> demos;
  cai::Rng rng(7);
  for (int i = 0; i < 8; ++i) {
    const int s = static_cast<int>(rng.UniformInt(static_cast<std::uint64_t>(size * size)));
    cai::Demonstration d;
    d.states.assign(static_cast<std::size_t>(horizon), s);
    d.actions.assign(static_cast<std::size_t>(horizon), 4);  // stay (always possible)
    demos.push_back(d);
  }
  cai::IrlObjectiveOptions o;
  o.method = cai::ParseIrlMethod(method);
  o.horizon = horizon;
  o.discount = 1.0;
  o.checkpoint_interval = interval;
  cai::IrlObjective objective(world.mdp, world.features, demos, o);
  std::vector<double> theta(static_cast<std::size_t>(k));
  for (double& x : theta) x = 0.2 * (rng.Uniform() - 0.5);
  std::vector<double> grad(static_cast<std::size_t>(k));
  std::vector<double> times;
  double value = 0.0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    value = objective.Evaluate(theta, grad);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  nlohmann::json out;
  out["states"] = world.mdp.num_states();
  out["actions"] = world.mdp.num_actions();
  out["transitions"] = world.mdp.num_transitions();
  out["features"] = k;
  out["horizon"] = horizon;
  out["method"] = method;
  out["checkpoint_interval"] = objective.checkpoint_interval();
  out["workspace_bytes"] = objective.workspace_bytes();
  out["build_seconds"] = build_s;
  out["repeats"] = repeats;
  out["median_seconds"] = sorted[sorted.size() / 2];
  out["min_seconds"] = sorted.front();
  out["objective"] = value;
  std::printf("%s\n", out.dump().c_str());
  if (!dump.empty()) {
    cai::SaveMdp(world.mdp, dump + "/mdp.json");
    cai::SaveFeatures(world.features, dump + "/features.json");
    nlohmann::json extra;
    extra["theta"] = theta;
    extra["horizon"] = horizon;
    extra["start_distribution"] = std::vector<double>(objective.start_distribution().begin(),
                                                      objective.start_distribution().end());
    extra["expected_features"] = std::vector<double>(objective.expected_features().begin(),
                                                     objective.expected_features().end());
    extra["start_value"] = objective.mean_start_value();
    cai::WriteFileAtomically(dump + "/ours.json", extra.dump() + "\n");
  }
  return 0;
}
