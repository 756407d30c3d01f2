#include "cai/rl/tabular_soft_q.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/inference/soft_backup.h"

namespace cai::rl {
namespace {

// V(s) = T log sum_a p(a|s) exp(Q(s,a)/T): inference's per-state soft backup.
double SoftValue(const Mdp& mdp, const SoftBellmanParams& p, const double* q, int s) {
  const int A = mdp.num_actions();
  return SoftStateValue(std::span<const double>(q, static_cast<std::size_t>(A)), p.temperature,
                        StateLogPrior::Of(p.prior, s, A));
}

}  // namespace

void ValidateTabularSoftQOptions(const TabularSoftQOptions& o, const Mdp& mdp) {
  ValidateSoftBellmanParams(o.problem, mdp);
  if (o.problem.backup != Backup::kVariational) {
    throw Error("backup: exact is not available to soft Q-learning (the log E exp target has no unbiased "
                "sample estimate); use the variational backup");
  }
  const auto bad = [](std::string_view field, double v, std::string_view expected) {
    return Error(fmt::format("{}: {} is invalid (expected {})", field, v, expected));
  };
  if (o.steps < 1) throw bad("steps", static_cast<double>(o.steps), "an integer >= 1");
  if (!(std::isfinite(o.learning_rate) && o.learning_rate > 0 && o.learning_rate <= 1)) {
    throw bad("learning_rate", o.learning_rate, "a number in (0, 1]");
  }
  if (!(o.lr_decay > 0.5 && o.lr_decay <= 1.0)) throw bad("lr_decay", o.lr_decay, "a number in (0.5, 1]");
  if (!(std::isfinite(o.lr_offset) && o.lr_offset >= 1)) throw bad("lr_offset", o.lr_offset, "a finite number >= 1");
  if (!(o.epsilon >= 0 && o.epsilon <= 1)) throw bad("epsilon", o.epsilon, "a number in [0, 1]");
  if (!(std::isfinite(o.behaviour_temperature) && o.behaviour_temperature >= 0)) {
    throw bad("behaviour_temperature", o.behaviour_temperature, "a finite number >= 0");
  }
  if (o.max_episode_length < 1) throw bad("max_episode_length", o.max_episode_length, "an integer >= 1");
}

TabularSoftQResult TabularSoftQLearning(const Mdp& mdp, const TabularSoftQOptions& o) {
  ValidateTabularSoftQOptions(o, mdp);
  const int S = mdp.num_states(), A = mdp.num_actions();
  const SoftBellmanParams& p = o.problem;
  const double behaviour_t =
      o.behaviour_temperature > 0 ? o.behaviour_temperature : (p.temperature > 0 ? p.temperature : 1.0);
  TabularSoftQResult r;
  r.q.assign(static_cast<std::size_t>(S) * A, 0.0);
  r.visits.assign(r.q.size(), 0);
  Rng rng(o.seed);
  std::vector<double> weights(A);
  const auto start_state = [&]() -> int {
    if (o.exploring_starts) return static_cast<int>(rng.UniformInt(static_cast<std::uint64_t>(S)));
    return static_cast<int>(rng.Categorical(mdp.initial_distribution()));
  };
  int s = start_state();
  int t = 0;
  r.episodes = 1;
  for (std::int64_t step = 0; step < o.steps; ++step) {
    // Behaviour: epsilon-uniform mixture with the soft policy of the current Q (prior included).
    double* q = r.q.data() + static_cast<std::size_t>(s) * A;
    int a;
    if (rng.Uniform() < o.epsilon) {
      a = static_cast<int>(rng.UniformInt(static_cast<std::uint64_t>(A)));
    } else {
      SoftStatePolicy(std::span<const double>(q, static_cast<std::size_t>(A)), behaviour_t,
                      StateLogPrior::Of(p.prior, s, A), weights);
      a = static_cast<int>(rng.Categorical(weights));
    }
    const std::size_t i = static_cast<std::size_t>(s) * A + a;
    double target = mdp.reward(s, a);
    int next = -1;
    if (!mdp.IsTerminal(s, a)) {
      const auto states = mdp.NextStates(s, a);
      next = states[rng.Categorical(mdp.NextProbabilities(s, a))];
      target += p.discount * SoftValue(mdp, p, r.q.data() + static_cast<std::size_t>(next) * A, next);
    }
    const double lr =
        o.learning_rate * std::pow(o.lr_offset / (o.lr_offset + static_cast<double>(r.visits[i])), o.lr_decay);
    r.q[i] += lr * (target - r.q[i]);
    ++r.visits[i];
    ++t;
    if (next < 0 || t >= o.max_episode_length) {
      s = start_state();
      t = 0;
      ++r.episodes;
    } else {
      s = next;
    }
  }
  r.values.resize(S);
  for (int x = 0; x < S; ++x) r.values[x] = SoftValue(mdp, p, r.q.data() + static_cast<std::size_t>(x) * A, x);
  r.summary.iterations = static_cast<int>(std::min<std::int64_t>(o.steps, std::numeric_limits<int>::max()));
  r.summary.Finish(TerminationType::kBudgetReached,
                   fmt::format("{} sampled transitions in {} episodes", o.steps, r.episodes));
  return r;
}

}  // namespace cai::rl
