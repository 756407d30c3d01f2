// PETS on Pendulum-v1 from the hanging state (bench/run_pets_bench.sh): for each seed, the full
// loop of cai::planning::PetsTrainer (random episodes, fit, plan through the ensemble with MPPI,
// refit after every episode) and, per episode, the return, whether the pendulum was swung up and
// stayed up (|theta| < 0.2 rad from some step to the end of the episode), the time spent planning
// (median per control step) and fitting. Then, on the final model, the median time of one
// Mppi::Plan call through the ensemble and the number of allocations it makes.
//
// Usage: bench_pets [--seeds 0,1,2] [--episodes 10] [--random-episodes 1] [--samples 400]
//          [--horizon 25] [--members 5] [--hidden 64,64] [--gradient-steps 1000] [--threads 1]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <numbers>
#include <string>
#include <vector>

#include "cai/nn/mlp.h"
#include "cai/planning/ensemble_dynamics.h"
#include "cai/planning/pets.h"

// Every operator new in this program is counted, to show that Mppi::Plan through the ensemble allocates nothing.
std::atomic<long long> g_allocations{0};

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t end = std::min(s.find(',', start), s.size());
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::uint64_t> seeds = {0, 1, 2};
  int episodes = 10;
  cai::planning::PetsOptions o;
  o.initial_state = {std::numbers::pi, 0.0};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--seeds") {
      seeds.clear();
      for (const auto& s : Split(value)) seeds.push_back(std::stoull(s));
    } else if (flag == "--episodes") {
      episodes = std::stoi(value);
    } else if (flag == "--random-episodes") {
      o.random_episodes = std::stoi(value);
    } else if (flag == "--samples") {
      o.mppi.samples = std::stoi(value);
    } else if (flag == "--horizon") {
      o.mppi.horizon = std::stoi(value);
    } else if (flag == "--members") {
      o.ensemble.members = std::stoi(value);
    } else if (flag == "--hidden") {
      o.ensemble.hidden = cai::nn::ParseLayerSizes(value, "--hidden");
    } else if (flag == "--gradient-steps") {
      o.ensemble.gradient_steps = std::stoi(value);
    } else if (flag == "--threads") {
      o.mppi.threads = std::stoi(value);
    } else if (flag == "--reward") {
      o.reward = value == "learned" ? cai::planning::RewardSource::kLearned : cai::planning::RewardSource::kKnown;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::printf("PETS on Pendulum-v1 from the hanging state: %d episodes of %d steps (%d random), E=%d hidden=", episodes,
              o.episode_length, o.random_episodes, o.ensemble.members);
  for (std::size_t i = 0; i < o.ensemble.hidden.size(); ++i) std::printf("%s%d", i ? "," : "", o.ensemble.hidden[i]);
  std::printf(" %d steps/fit, MPPI K=%d T=%d threads=%d, reward %s\n", o.ensemble.gradient_steps, o.mppi.samples,
              o.mppi.horizon, o.mppi.threads, o.reward == cai::planning::RewardSource::kKnown ? "known" : "learned");
  int successes = 0;
  for (std::uint64_t seed : seeds) {
    o.seed = seed;
    cai::planning::PetsTrainer trainer("Pendulum-v1", o, static_cast<std::int64_t>(episodes) * o.episode_length);
    std::vector<double> step_ms;
    int first_swing_up = -1;
    const auto run_start = std::chrono::steady_clock::now();
    for (int e = 0; e < episodes; ++e) {
      step_ms.clear();
      double fit_ms = 0.0;
      while (true) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto finished = trainer.Step();
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!finished.empty()) {
          fit_ms = ms;  // the last step of an episode includes the refit
          break;
        }
        step_ms.push_back(ms);
      }
      const cai::planning::PetsEpisodeOutcome& out = trainer.outcomes().back();
      const bool random = e < o.random_episodes;
      if (!random && out.upright_from >= 0 && first_swing_up < 0) first_swing_up = e + 1;
      std::printf("seed %llu episode %2d (%s): return %8.2f  upright %3d steps, %s  | step %.2f ms (median), "
                  "episode end + fit %.0f ms, model NLL %.3f MSE %.5f\n",
                  static_cast<unsigned long long>(seed), e + 1, random ? "random " : "planned", out.episodic_return,
                  out.upright_steps,
                  out.upright_from >= 0 ? ("swung up and stayed from step " + std::to_string(out.upright_from)).c_str()
                                        : "not up at the end",
                  Median(step_ms), fit_ms, trainer.last_fit().final_nll, trainer.last_fit().final_mse);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
    std::printf("seed %llu: first swung-up episode %s (goal: <= %d), %.1f s in all\n",
                static_cast<unsigned long long>(seed),
                first_swing_up < 0 ? "none" : std::to_string(first_swing_up).c_str(), episodes, seconds);
    if (first_swing_up > 0 && first_swing_up <= 10) ++successes;

    if (seed == seeds.back()) {
      // Plan-call timing and allocations through the final model.
      const cai::planning::BatchedPendulum truth;
      const cai::planning::EnsembleDynamics model(trainer.ensemble(), truth,
                                                  cai::planning::ModelFeatures(2, 1, {0}, {-2.0f}, {2.0f}),
                                                  o.reward, o.mppi.threads);
      cai::planning::MppiOptions m = o.mppi;
      m.seed = 1;
      cai::planning::Mppi planner(model, m);
      std::vector<double> state = {std::numbers::pi, 0.0}, action(1);
      std::vector<double> ms;
      ms.reserve(200);
      planner.Plan(state, action);
      const long long before = g_allocations.load();
      for (int i = 0; i < 200; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        planner.Plan(state, action);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        state[0] -= 0.01;
      }
      const long long allocations = g_allocations.load() - before;
      std::printf("Mppi::Plan through the ensemble (K=%d, T=%d, E=%d): median %.2f ms per call, %lld allocations in 200 calls\n",
                  m.samples, m.horizon, o.ensemble.members, Median(ms), allocations);
    }
  }
  std::printf("swung up within %d episodes: %d of %zu seeds\n", episodes, successes, seeds.size());
  return 0;
}
