#include "cai/planning/mppi.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/options.h"
#include "cai/core/rng.h"
#include "cai/core/thread_pool.h"
#include "float_math.h"

namespace cai::planning {
namespace {

inline std::uint32_t Rotl(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

}  // namespace

FastNormal::FastNormal(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t x = seed ^ (0xd1b54a32d192ed03ULL * (stream + 1));
  for (int l = 0; l < kLanes; ++l) {
    for (int w = 0; w < 4; w += 2) {
      const std::uint64_t v = SplitMix64(x);
      s_[w][l] = static_cast<std::uint32_t>(v);
      s_[w + 1][l] = static_cast<std::uint32_t>(v >> 32);
    }
    if ((s_[0][l] | s_[1][l] | s_[2][l] | s_[3][l]) == 0) s_[0][l] = 1;
  }
}

void FastNormal::NextBlock(float* out) {
  alignas(32) std::uint32_t r0[kLanes], r1[kLanes];
  const auto next = [this](std::uint32_t* __restrict r) {
    for (int l = 0; l < kLanes; ++l) {  // xoshiro128** in each lane
      r[l] = Rotl(s_[1][l] * 5u, 7) * 9u;
      const std::uint32_t t = s_[1][l] << 9;
      s_[2][l] ^= s_[0][l];
      s_[3][l] ^= s_[1][l];
      s_[1][l] ^= s_[2][l];
      s_[0][l] ^= s_[3][l];
      s_[2][l] ^= t;
      s_[3][l] = Rotl(s_[3][l], 11);
    }
  };
  next(r0);
  next(r1);
  constexpr float kTwoPow24Inv = 1.0f / 16777216.0f;
  for (int l = 0; l < kLanes; ++l) {  // Box-Muller
    const float u1 = static_cast<float>(static_cast<std::int32_t>((r0[l] >> 8) + 1u)) * kTwoPow24Inv;  // (0, 1]
    const float u2 = static_cast<float>(static_cast<std::int32_t>(r1[l] >> 8)) * kTwoPow24Inv;        // [0, 1)
    const float radius = std::sqrt(-2.0f * detail::LogPositive(u1));
    float s, c;
    detail::SinCosWrapped(2.0f * detail::kPiF * (u2 - 0.5f), s, c);
    out[l] = radius * c;
    out[kLanes + l] = radius * s;
  }
}

void FastNormal::Fill(std::span<float> out) {
  std::size_t i = 0;
  for (; i + kBlock <= out.size(); i += kBlock) NextBlock(out.data() + i);
  if (i < out.size()) {
    alignas(32) float block[kBlock];
    NextBlock(block);
    std::copy(block, block + (out.size() - i), out.data() + i);
  }
}

const OptionList<MppiOptions>& MppiOptionList() {
  using O = MppiOptions;
  static const OptionList<O> list = [] {
    const auto positive = AtLeastOne();
    OptionList<O> t("mppi", "MppiOptions");
    t.Add("samples", &O::samples, "K, sampled action sequences per iteration", positive)
        .Add("horizon", &O::horizon, "T, planning horizon in steps", positive)
        .Add("temperature", &O::temperature, "lambda of the weights exp(R / lambda)", FinitePositive())
        .Add("noise_std", &O::noise_std, "proposal standard deviation (one, or one per action dimension)",
             Each(FiniteNonNegative()))
        .Flag("noise")
        .Keyword("noise")
        .Add("action_low", &O::action_low, "lower action bounds the samples are clipped to (none: the model's)")
        .Add("action_high", &O::action_high, "upper action bounds the samples are clipped to (none: the model's)")
        .Add("iterations", &O::iterations, "sample-and-update rounds per control step", positive)
        .Add("warm_start", &O::warm_start, "start each step from the previous plan shifted by one step")
        .Flag("no-warm-start", false)
        .Choice("smoothing", &O::smoothing, "plan smoothing",
                {{MppiSmoothing::kNone, "none"},
                 {MppiSmoothing::kMovingAverage, "moving-average"},
                 {MppiSmoothing::kExponential, "exponential"}})
        .Add("smoothing_window", &O::smoothing_window, "moving-average window (odd)",
             Rule<int>([](int w) { return w >= 1 && w % 2 == 1; }, "an odd integer >= 1"))
        .Add("smoothing_alpha", &O::smoothing_alpha, "exponential smoothing factor in (0, 1]",
             Rule<double>([](double a) { return a > 0 && a <= 1; }, "a number in (0, 1]"))
        .Add("seed", &O::seed, "seed of the proposal noise")
        .Add("threads", &O::threads, "threads the samples are split over", positive)
        .Check([](const O& o) -> std::optional<OptionProblem> {
          if (o.threads <= o.samples) return {};
          return OptionProblem{"threads", std::to_string(o.threads), fmt::format("at most samples = {}", o.samples)};
        });
    return t;
  }();
  return list;
}

void ValidateMppiOptions(const MppiOptions& o, const BatchedDynamics& dynamics) {
  MppiOptionList().Validate(o);
  const int a_dim = dynamics.action_dim();
  const auto invalid = [](std::string field, std::string value, std::string expected) {
    ThrowInvalidOption({std::move(field), std::move(value), std::move(expected)}, "MppiOptions");
  };
  if (o.noise_std.size() != 1 && o.noise_std.size() != static_cast<std::size_t>(a_dim)) {
    invalid("noise_std", fmt::format("[{} entries]", o.noise_std.size()),
            fmt::format("1 or {} entries (the action dimension of {})", a_dim, dynamics.name()));
  }
  if (o.action_low.empty() != o.action_high.empty()) {
    const bool low_missing = o.action_low.empty();
    invalid(low_missing ? "action_low" : "action_high", "[empty]",
            fmt::format("bounds given with {} (action_low and action_high both given or both empty)",
                        low_missing ? "action_high" : "action_low"));
  }
  if (!o.action_low.empty()) {
    for (const auto* name : {"action_low", "action_high"}) {
      const auto& v = std::string_view(name) == "action_low" ? o.action_low : o.action_high;
      if (v.size() != static_cast<std::size_t>(a_dim)) {
        invalid(name, fmt::format("[{} entries]", v.size()), fmt::format("{} entries (the action dimension)", a_dim));
      }
    }
    for (int i = 0; i < a_dim; ++i) {
      if (std::isnan(o.action_low[i]) || std::isnan(o.action_high[i]) || o.action_low[i] > o.action_high[i]) {
        invalid(fmt::format("action_low[{}]", i), fmt::format("{}", o.action_low[i]),
                fmt::format("a number <= action_high[{}] = {}", i, o.action_high[i]));
      }
    }
  }
}

nlohmann::json MppiOptionsToJson(const MppiOptions& o) { return MppiOptionList().ToJson(o); }

MppiOptions MppiOptionsFromJson(const nlohmann::json& j, const MppiOptions& base) {
  return MppiOptionList().FromJson(j, base);
}

struct Mppi::Impl {
  struct Chunk {
    std::size_t begin = 0, end = 0;
    FastNormal noise;
  };

  const BatchedDynamics* dyn;
  MppiOptions options;
  std::size_t K;
  int T, A, S;
  std::vector<float> low, high, noise_std, nominal, plan, scratch, samples, states, rewards, returns, state_in;
  std::vector<double> weights;
  std::vector<Chunk> chunks;
  bool planned = false;

  // Worker threads run chunks 1..n-1; the calling thread runs chunk 0.
  std::unique_ptr<ThreadPool> pool;

  Impl(const BatchedDynamics& d, MppiOptions o) : dyn(&d), options(std::move(o)) {
    ValidateMppiOptions(options, d);
    K = static_cast<std::size_t>(options.samples);
    T = options.horizon;
    A = d.action_dim();
    S = d.state_dim();
    for (int a = 0; a < A; ++a) {
      low.push_back(options.action_low.empty() ? d.action_low()[a] : static_cast<float>(options.action_low[a]));
      high.push_back(options.action_high.empty() ? d.action_high()[a] : static_cast<float>(options.action_high[a]));
      noise_std.push_back(static_cast<float>(options.noise_std.size() == 1 ? options.noise_std[0] : options.noise_std[a]));
    }
    const std::size_t TA = static_cast<std::size_t>(T) * A;
    nominal.resize(TA);
    for (std::size_t i = 0; i < TA; ++i) nominal[i] = std::clamp(0.0f, low[i % A], high[i % A]);
    plan = nominal;
    scratch.resize(TA);
    samples.resize(TA * K);
    states.resize(static_cast<std::size_t>(S) * K);
    rewards.resize(K);
    returns.resize(K);
    weights.resize(K);
    state_in.resize(S);
    const std::size_t n = static_cast<std::size_t>(options.threads);
    for (std::size_t j = 0; j < n; ++j) {
      // Chunk boundaries on multiples of 16 samples where possible (whole SIMD registers).
      const auto bound = [&](std::size_t i) {
        const std::size_t b = K * i / n;
        return i == n ? K : std::min(K, (b + 8) / 16 * 16);
      };
      chunks.push_back(Chunk{bound(j), bound(j + 1), FastNormal(options.seed, j)});
    }
    pool = std::make_unique<ThreadPool>(static_cast<int>(n) - 1);
  }

  void RunAll() {
    pool->Run(static_cast<int>(chunks.size()), [this](int j) { RunChunk(static_cast<std::size_t>(j)); });
  }

  // Samples, clips and rolls out the sequences [begin, end) of chunk j.
  void RunChunk(std::size_t j) {
    Chunk& c = chunks[j];
    const std::size_t n = c.end - c.begin;
    if (n == 0) return;
    for (int t = 0; t < T; ++t) {
      for (int a = 0; a < A; ++a) {
        float* __restrict row = samples.data() + (static_cast<std::size_t>(t) * A + a) * K + c.begin;
        c.noise.Fill({row, n});
        const float mean = plan[static_cast<std::size_t>(t) * A + a], sd = noise_std[a], lo = low[a], hi = high[a];
        for (std::size_t k = 0; k < n; ++k) row[k] = std::min(std::max(mean + sd * row[k], lo), hi);
      }
    }
    for (int i = 0; i < S; ++i) {
      std::fill_n(states.data() + static_cast<std::size_t>(i) * K + c.begin, n, state_in[i]);
    }
    float* __restrict ret = returns.data() + c.begin;
    const float* __restrict rew = rewards.data() + c.begin;
    std::fill_n(ret, n, 0.0f);
    const BatchView sv{states.data() + c.begin, K};
    for (int t = 0; t < T; ++t) {
      const ConstBatchView av{samples.data() + static_cast<std::size_t>(t) * A * K + c.begin, K};
      dyn->Step(sv, av, {rewards.data() + c.begin, n});
      for (std::size_t k = 0; k < n; ++k) ret[k] += rew[k];
    }
    dyn->AddTerminalReward(ConstBatchView{sv.data, K}, {ret, n});
  }

  MppiSummary Update() {
    double best = -std::numeric_limits<double>::infinity(), sum_r = 0.0;
    for (std::size_t k = 0; k < K; ++k) {
      best = std::max(best, static_cast<double>(returns[k]));
      sum_r += returns[k];
    }
    const double inv_temperature = 1.0 / options.temperature;
    double z = 0.0;
    for (std::size_t k = 0; k < K; ++k) {
      weights[k] = std::exp((static_cast<double>(returns[k]) - best) * inv_temperature);
      z += weights[k];
    }
    double sum_w2 = 0.0, weighted = 0.0;
    const double inv_z = 1.0 / z;
    for (std::size_t k = 0; k < K; ++k) {
      weights[k] *= inv_z;
      sum_w2 += weights[k] * weights[k];
      weighted += weights[k] * returns[k];
    }
    const std::size_t TA = static_cast<std::size_t>(T) * A;
    for (std::size_t i = 0; i < TA; ++i) {
      // Eight partial sums (a vectorisable reduction; the order is fixed, so results are too).
      const float* __restrict row = samples.data() + i * K;
      const double* __restrict w = weights.data();
      double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::size_t k = 0;
      for (; k + 8 <= K; k += 8) {
        for (int l = 0; l < 8; ++l) acc[l] += w[k + l] * row[k + l];
      }
      for (; k < K; ++k) acc[0] += w[k] * row[k];
      const double m = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
      scratch[i] = static_cast<float>(m);
    }
    Smooth();
    MppiSummary summary;
    summary.effective_sample_size = 1.0 / sum_w2;
    summary.weighted_return = weighted;
    summary.best_return = best;
    summary.mean_return = sum_r / static_cast<double>(K);
    return summary;
  }

  // plan <- smoothed scratch (the weighted mean) along time.
  void Smooth() {
    switch (options.smoothing) {
      case MppiSmoothing::kNone:
        std::copy(scratch.begin(), scratch.end(), plan.begin());
        return;
      case MppiSmoothing::kMovingAverage: {
        const int h = options.smoothing_window / 2;
        for (int t = 0; t < T; ++t) {
          const int t0 = std::max(0, t - h), t1 = std::min(T - 1, t + h);
          for (int a = 0; a < A; ++a) {
            double s = 0.0;
            for (int u = t0; u <= t1; ++u) s += scratch[static_cast<std::size_t>(u) * A + a];
            plan[static_cast<std::size_t>(t) * A + a] = static_cast<float>(s / (t1 - t0 + 1));
          }
        }
        return;
      }
      case MppiSmoothing::kExponential: {
        const float alpha = static_cast<float>(options.smoothing_alpha);
        for (int a = 0; a < A; ++a) plan[a] = scratch[a];
        for (int t = 1; t < T; ++t) {
          for (int a = 0; a < A; ++a) {
            const std::size_t i = static_cast<std::size_t>(t) * A + a;
            plan[i] = alpha * scratch[i] + (1.0f - alpha) * plan[i - A];
          }
        }
        return;
      }
    }
  }
};

Mppi::Mppi(const BatchedDynamics& dynamics, MppiOptions options)
    : impl_(std::make_unique<Impl>(dynamics, std::move(options))) {}
Mppi::~Mppi() = default;
Mppi::Mppi(Mppi&&) noexcept = default;
Mppi& Mppi::operator=(Mppi&&) noexcept = default;

MppiSummary Mppi::Plan(std::span<const double> state, std::span<double> action) {
  Impl& m = *impl_;
  if (state.size() != static_cast<std::size_t>(m.S)) {
    throw Error(fmt::format("Mppi::Plan: state has {} entries; expected {} (the state dimension of {})", state.size(),
                            m.S, m.dyn->name()));
  }
  if (action.size() != static_cast<std::size_t>(m.A)) {
    throw Error(fmt::format("Mppi::Plan: action has {} entries; expected {} (the action dimension of {})",
                            action.size(), m.A, m.dyn->name()));
  }
  for (int i = 0; i < m.S; ++i) {
    if (!std::isfinite(state[i])) throw Error(fmt::format("Mppi::Plan: state[{}] = {}; expected a finite number", i, state[i]));
    m.state_in[i] = static_cast<float>(state[i]);
  }
  if (m.planned) {
    if (m.options.warm_start) {
      std::copy(m.plan.begin() + m.A, m.plan.end(), m.plan.begin());  // the last action stays (repeated)
    } else {
      m.plan = m.nominal;  // same size: no allocation
    }
  }
  MppiSummary summary;
  for (int it = 0; it < m.options.iterations; ++it) {
    m.RunAll();
    summary = m.Update();
  }
  summary.iterations = m.options.iterations;
  summary.Finish(TerminationType::kBudgetReached, {});  // no message: Plan does not allocate
  m.planned = true;
  for (int a = 0; a < m.A; ++a) action[a] = m.plan[a];
  return summary;
}

void Mppi::Reset() {
  impl_->plan = impl_->nominal;
  impl_->planned = false;
}

void Mppi::SetPlan(std::span<const float> plan) {
  Impl& m = *impl_;
  if (plan.size() != m.plan.size()) {
    throw Error(fmt::format("Mppi::SetPlan: plan has {} entries; expected horizon x action_dim = {}", plan.size(),
                            m.plan.size()));
  }
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const int a = static_cast<int>(i % m.A);
    if (!(plan[i] >= m.low[a] && plan[i] <= m.high[a])) {
      throw Error(fmt::format("Mppi::SetPlan: plan[{}][{}] = {}; expected a number in [{}, {}]", i / m.A, a, plan[i],
                              m.low[a], m.high[a]));
    }
  }
  std::copy(plan.begin(), plan.end(), m.plan.begin());
  m.planned = false;
}

std::span<const float> Mppi::plan() const { return impl_->plan; }
std::span<const float> Mppi::samples() const { return impl_->samples; }
std::span<const double> Mppi::weights() const { return impl_->weights; }
std::span<const float> Mppi::returns() const { return impl_->returns; }
const MppiOptions& Mppi::options() const { return impl_->options; }
const BatchedDynamics& Mppi::dynamics() const { return *impl_->dyn; }

}  // namespace cai::planning
