// MPPI speed and swing-up quality on Pendulum-v1 (bench/run_mppi_bench.sh).
//
// Speed: median wall time of one Mppi::Plan call (fresh noise every call, warm start on) over
// --calls calls from states of a swing-up trajectory, for each (K, threads) of --configs.
// Quality: closed-loop control of env::Pendulum from the hanging state (theta = pi, theta_dot = 0)
// for 200 steps per seed: the return and the first step from which |theta| < 0.2 to the end.
//
// Usage: bench_mppi [--horizon 30] [--calls 2000] [--configs 1000x1,4000x1,1000x2,4000x2]
//          [--seeds 0,1,2,3,4] [--quality-samples 1000]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <vector>

#include "cai/env/pendulum.h"
#include "cai/planning/mppi.h"

// Every operator new in this program is counted, to show that Mppi::Plan allocates nothing.
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

}  // namespace

int main(int argc, char** argv) {
  int horizon = 30, calls = 2000, quality_samples = 1000;
  std::string configs = "1000x1,4000x1,1000x2,4000x2", seeds = "0,1,2,3,4";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--horizon") horizon = std::stoi(v);
    else if (k == "--calls") calls = std::stoi(v);
    else if (k == "--configs") configs = v;
    else if (k == "--seeds") seeds = v;
    else if (k == "--quality-samples") quality_samples = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  using cai::planning::Mppi;
  using cai::planning::MppiOptions;
  cai::planning::BatchedPendulum model;

  std::printf("speed: Mppi::Plan on Pendulum-v1, T=%d, 1 iteration, fresh noise every call, %d calls\n", horizon, calls);
  std::printf("%8s %8s %12s %12s %12s %12s\n", "K", "threads", "median_ms", "p10_ms", "p90_ms", "allocations");
  for (const std::string& c : Split(configs)) {
    const int K = std::stoi(c.substr(0, c.find('x')));
    const int threads = std::stoi(c.substr(c.find('x') + 1));
    Mppi m(model, MppiOptions{.samples = K, .horizon = horizon, .temperature = 1.0, .noise_std = {1.0}, .threads = threads});
    cai::env::Pendulum pendulum;
    std::vector<double> state = {std::numbers::pi, 0.0}, action(1);
    std::vector<float> obs(3);
    pendulum.set_max_episode_steps(0);  // no time limit
    pendulum.SetState(state);
    std::vector<double> ms;
    ms.reserve(calls);
    const std::vector<double> hanging = {std::numbers::pi, 0.0};
    long long allocations = 0;
    for (int i = 0; i < calls + 50; ++i) {
      if (i % 200 == 0) pendulum.SetState(hanging);  // keep swinging up
      const std::vector<double> current = pendulum.state();  // (allocates; outside the count)
      const long long before = g_allocations.load();
      const auto start = std::chrono::steady_clock::now();
      m.Plan(current, action);
      const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      allocations += g_allocations.load() - before;
      if (i >= 50) ms.push_back(t);  // 50 warm-up calls
      pendulum.Step(action, obs);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%8d %8d %12.4f %12.4f %12.4f %12lld\n", K, threads, ms[ms.size() / 2], ms[ms.size() / 10],
                ms[ms.size() * 9 / 10], allocations);
  }

  std::printf("\nquality: closed loop from the hanging state, K=%d, T=%d, temperature 1, noise 1, 200 steps\n",
              quality_samples, horizon);
  std::printf("%6s %12s %18s\n", "seed", "return", "steps_to_upright");
  for (const std::string& s : Split(seeds)) {
    const std::uint64_t seed = std::stoull(s);
    Mppi m(model, MppiOptions{.samples = quality_samples, .horizon = horizon, .temperature = 1.0, .noise_std = {1.0}, .seed = seed});
    cai::env::Pendulum pendulum;
    std::vector<float> obs(3);
    pendulum.Reset(seed, obs);
    pendulum.SetState(std::vector<double>{std::numbers::pi, 0.0});
    std::vector<double> action(1);
    double total = 0;
    int upright_since = -1;
    for (int t = 0; t < 200; ++t) {
      m.Plan(pendulum.state(), action);
      total += pendulum.Step(action, obs).reward;
      if (std::abs(cai::env::Pendulum::NormalizeAngle(pendulum.state()[0])) >= 0.2) upright_since = -1;
      else if (upright_since < 0) upright_since = t + 1;
    }
    std::printf("%6llu %12.2f %18s\n", static_cast<unsigned long long>(seed), total,
                upright_since < 0 ? "never" : std::to_string(upright_since).c_str());
  }
  return 0;
}
