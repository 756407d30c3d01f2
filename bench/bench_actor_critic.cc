// Quality and speed of the MaxEnt actor-critic on one Gymnasium environment: for each seed, train
// for --steps environment steps, evaluate deterministically (--eval-episodes episodes) every
// --eval-every steps, and report the first step at which the mean evaluation return reached
// --threshold, the final evaluation, wall time and steps/s.
//
// Usage: bench_actor_critic --env CartPole-v1 --steps 200000 --seeds 0,1,2,3,4 --eval-every 10000
//          --eval-episodes 10 --threshold 475 [--options '{"n_steps": 16, ...}'] [--curve]
//          [--rows-only | --header-only]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/rl/actor_critic.h"

namespace {

struct Args {
  std::string env = "CartPole-v1";
  std::int64_t steps = 200000;
  std::vector<std::uint64_t> seeds = {0, 1, 2, 3, 4};
  std::int64_t eval_every = 10000;
  int eval_episodes = 10;
  double threshold = 475;
  std::string options = "{}";
  bool curve = false;
  bool rows_only = false;    // no header or summary (one process per seed, see the script)
  bool header_only = false;  // the header (resolved options, column names) alone
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--curve") {
      a.curve = true;
      continue;
    }
    if (k == "--rows-only") {
      a.rows_only = true;
      continue;
    }
    if (k == "--header-only") {
      a.header_only = true;
      continue;
    }
    if (i + 1 >= argc) throw cai::Error("missing value after " + k);
    const std::string v = argv[++i];
    if (k == "--env") {
      a.env = v;
    } else if (k == "--steps") {
      a.steps = std::stoll(v);
    } else if (k == "--seeds") {
      a.seeds.clear();
      std::size_t pos = 0;
      while (pos <= v.size()) {
        const std::size_t comma = v.find(',', pos);
        a.seeds.push_back(std::stoull(v.substr(pos, comma - pos)));
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    } else if (k == "--eval-every") {
      a.eval_every = std::stoll(v);
    } else if (k == "--eval-episodes") {
      a.eval_episodes = std::stoi(v);
    } else if (k == "--threshold") {
      a.threshold = std::stod(v);
    } else if (k == "--options") {
      a.options = v;
    } else {
      throw cai::Error("unknown argument " + k);
    }
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) try {
  const Args args = Parse(argc, argv);
  const cai::rl::ActorCriticOptions base = cai::rl::ActorCriticOptionsFromJson(nlohmann::json::parse(args.options));
  if (!args.rows_only) {
  std::printf("env %s, %lld steps, eval every %lld (%d episodes), threshold %g\noptions %s\n", args.env.c_str(),
              static_cast<long long>(args.steps), static_cast<long long>(args.eval_every), args.eval_episodes,
              args.threshold, cai::rl::ActorCriticOptionsToJson(base).dump().c_str());
  std::printf("%-5s %-12s %-12s %-10s %-10s %-10s\n", "seed", "first>=thr", "final_eval", "train_s", "steps/s",
              "episodes");
  }
  if (args.header_only) return 0;
  int reached = 0;
  double total_train_seconds = 0;
  std::int64_t total_steps = 0;
  for (const std::uint64_t seed : args.seeds) {
    cai::rl::ActorCriticOptions o = base;
    o.seed = seed;
    cai::rl::ActorCriticTrainer trainer(args.env, o, args.steps);
    std::int64_t next_eval = args.eval_every, first = -1, episodes = 0;
    double final_eval = 0, train_seconds = 0;
    std::string curve;
    while (trainer.step() < args.steps) {
      const auto t0 = std::chrono::steady_clock::now();
      episodes += static_cast<std::int64_t>(trainer.Step().size());
      train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (trainer.step() >= next_eval || trainer.step() >= args.steps) {
        next_eval += args.eval_every;
        final_eval = trainer.Evaluate(args.eval_episodes, 1'000'000 + seed).mean_return;
        if (first < 0 && final_eval >= args.threshold) first = trainer.step();
        char point[64];
        std::snprintf(point, sizeof point, " %lldk:%.0f", static_cast<long long>(trainer.step() / 1000), final_eval);
        curve += point;
      }
    }
    if (first >= 0) ++reached;
    total_train_seconds += train_seconds;
    total_steps += trainer.step();
    std::printf("%-5llu %-12s %-12.1f %-10.2f %-10.0f %-10lld\n", static_cast<unsigned long long>(seed),
                first >= 0 ? std::to_string(first).c_str() : "never", final_eval, train_seconds,
                static_cast<double>(trainer.step()) / train_seconds, static_cast<long long>(episodes));
    if (args.curve) std::printf("      curve:%s\n", curve.c_str());
    std::fflush(stdout);
  }
  if (args.rows_only) return 0;
  std::printf("seeds reaching %g within %lld steps: %d of %zu; training throughput %.0f steps/s (evaluation "
              "excluded)\n",
              args.threshold, static_cast<long long>(args.steps), reached, args.seeds.size(),
              static_cast<double>(total_steps) / total_train_seconds);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
