#include "cai/irl/maxent_irl.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/inference/forward_messages.h"
#include "cai/inference/soft_backup.h"
#include "cai/inference/soft_value_iteration.h"

namespace cai {
namespace {

constexpr std::size_t kMaxStoredValuesBytes = std::size_t{256} << 20;

// Everything the backward and forward kernels read, as raw pointers.
struct Kernel {
  const std::int64_t* offsets;
  const std::int32_t* next;
  const double* prob;
  const double* rewards;
  std::size_t num_states;
  std::size_t num_actions;
  double temperature;
  double discount;
};

// Q(s, .) into q from next-step values (the chosen backup over successors, SoftContinuation);
// returns V(s) = alpha log sum_a exp(Q(s, a) / alpha) and, when `pi` is not null, writes
// pi(a|s) = exp((Q(s, a) - V(s)) / alpha) from the same exponentials (SoftStateBackup).
template <IrlMethod kMethod>
inline double StateBackup(const Kernel& k, std::size_t s, const double* v_next, double* q,
                          double* pi) {
  const std::size_t row = s * k.num_actions;
  for (std::size_t a = 0; a < k.num_actions; ++a) {
    const std::int64_t begin = k.offsets[row + a];
    q[a] = k.rewards[row + a] + SoftContinuation<kMethod>(k.next + begin, k.prob + begin,
                                                          k.offsets[row + a + 1] - begin, v_next,
                                                          k.temperature, k.discount);
  }
  const std::span<const double> qs(q, k.num_actions);
  if (pi == nullptr) return SoftStateValue(qs, k.temperature);
  return SoftStateBackup(qs, k.temperature, StateLogPrior::None(),
                         std::span<double>(pi, k.num_actions));
}

// The exact backup's tilted dynamics of (s, a) from next-step values.
inline TiltedDynamics Tilted(const Kernel& k, std::size_t sa, const double* v_next) {
  const std::int64_t begin = k.offsets[sa];
  return ExactTiltedDynamics(k.next + begin, k.prob + begin, k.offsets[sa + 1] - begin, v_next,
                             k.temperature, k.discount);
}

// v = soft Bellman(v_next) over all states (and the policy into `policy`, S x A, if not null);
// returns max_s |v_new - v_old|.
template <IrlMethod kMethod>
double BackupSweep(const Kernel& k, const double* v_next, double* v, double* q, double* policy) {
  double change = 0.0;
  for (std::size_t s = 0; s < k.num_states; ++s) {
    const double x = StateBackup<kMethod>(k, s, v_next, q,
                                          policy == nullptr ? nullptr : policy + s * k.num_actions);
    change = std::max(change, std::abs(x - v[s]));
    if (x != x) change = std::numeric_limits<double>::infinity();
    v[s] = x;
  }
  return change;
}

// For every (s, a) with d(s) > 0: x = d(s) pi(a|s); visit(s, a) += weight x;
// d_next(s') += x q(s'|s, a) with q the backup's forward dynamics. The policy is `policy` (S x A)
// when given, else recomputed from v_next exactly as BackupSweep computes it (same operations,
// same bits) into `scratch` (2 A doubles).
template <IrlMethod kMethod>
void ForwardStep(const Kernel& k, const double* v_next, const double* policy, const double* d,
                 double* d_next, double* visit, double weight, double* scratch) {
  for (std::size_t s = 0; s < k.num_states; ++s) {
    const double ds = d[s];
    if (ds == 0.0) continue;
    const std::size_t row = s * k.num_actions;
    const double* pi = policy + row;
    if (policy == nullptr) {
      StateBackup<kMethod>(k, s, v_next, scratch, scratch + k.num_actions);
      pi = scratch + k.num_actions;
    }
    for (std::size_t a = 0; a < k.num_actions; ++a) {
      const double x = ds * pi[a];
      visit[row + a] += weight * x;
      const std::int64_t begin = k.offsets[row + a];
      const std::int64_t end = k.offsets[row + a + 1];
      if constexpr (kMethod == IrlMethod::kMaxCausalEnt) {
        for (std::int64_t i = begin; i < end; ++i) d_next[k.next[i]] += x * k.prob[i];
      } else {
        if (begin == end) continue;
        const TiltedDynamics tilted = Tilted(k, row + a, v_next);
        const double c = x / tilted.norm;
        for (std::int64_t i = begin; i < end; ++i) {
          if (k.prob[i] > 0.0) d_next[k.next[i]] += c * k.prob[i] * tilted.Tilt(v_next[k.next[i]]);
        }
      }
    }
  }
}

// Stationary policy and the per-transition forward dynamics (discounted problems).
template <IrlMethod kMethod>
void PolicyAndDynamics(const Kernel& k, const double* v, double* policy, double* weights,
                       double* scratch) {
  for (std::size_t s = 0; s < k.num_states; ++s) {
    const std::size_t row = s * k.num_actions;
    StateBackup<kMethod>(k, s, v, scratch, policy + row);
    if constexpr (kMethod == IrlMethod::kMaxEnt) {
      for (std::size_t a = 0; a < k.num_actions; ++a) {
        if (k.offsets[row + a] == k.offsets[row + a + 1]) continue;
        const TiltedDynamics tilted = Tilted(k, row + a, v);
        for (std::int64_t i = k.offsets[row + a]; i < k.offsets[row + a + 1]; ++i) {
          weights[i] = tilted.Probability(k.prob[i], v[k.next[i]]);
        }
      }
    }
  }
}

}  // namespace

std::string IrlMethodName(IrlMethod method) {
  return method == Backup::kExact ? "maxent" : "mce";
}

IrlMethod ParseIrlMethod(const std::string& name) {
  if (name == "maxent") return Backup::kExact;
  if (name == "mce") return Backup::kVariational;
  throw Error(fmt::format("method: \"{}\" is not an IRL method (expected maxent or mce)", name));
}

void ValidateIrlObjectiveOptions(const IrlObjectiveOptions& o, const Mdp& mdp) {
  if (!(std::isfinite(o.temperature) && o.temperature > 0.0)) {
    throw Error(fmt::format("temperature: {} is invalid (expected a finite number > 0)",
                            o.temperature));
  }
  if (o.horizon < 0) {
    throw Error(fmt::format("horizon: {} is invalid (expected >= 1, or 0 for discounted)",
                            o.horizon));
  }
  if (o.horizon > 0 && !(o.discount >= 0.0 && o.discount <= 1.0)) {
    throw Error(fmt::format("discount: {} is invalid (expected a number in [0, 1])", o.discount));
  }
  if (o.horizon == 0 && !(o.discount >= 0.0 && o.discount < 1.0)) {
    throw Error(fmt::format("discount: {} is invalid without a horizon (expected a number in "
                            "[0, 1), or give a horizon)", o.discount));
  }
  if (!(std::isfinite(o.l2) && o.l2 >= 0.0)) {
    throw Error(fmt::format("l2: {} is invalid (expected a finite number >= 0)", o.l2));
  }
  if (!(o.tolerance > 0.0)) {
    throw Error(fmt::format("tolerance: {} is invalid (expected a number > 0)", o.tolerance));
  }
  if (o.max_iterations < 1) {
    throw Error(fmt::format("max_iterations: {} is invalid (expected >= 1)", o.max_iterations));
  }
  if (o.checkpoint_interval < 0 || (o.horizon > 0 && o.checkpoint_interval > o.horizon)) {
    throw Error(fmt::format("checkpoint_interval: {} is invalid (expected 0 for automatic, or 1 "
                            "to the horizon {})", o.checkpoint_interval, o.horizon));
  }
  (void)mdp;
}

IrlObjective::IrlObjective(const Mdp& mdp, const FeatureTable& features,
                           std::span<const Demonstration> demos, IrlObjectiveOptions options)
    : mdp_(&mdp), features_(&features), options_(options) {
  ValidateIrlObjectiveOptions(options_, mdp);
  ValidateFeatures(features, mdp);
  ValidateDemonstrations(demos, mdp);
  const auto ns = static_cast<std::size_t>(mdp.num_states());
  const auto nsa = ns * static_cast<std::size_t>(mdp.num_actions());
  const auto nf = static_cast<std::size_t>(features.num_features);
  if (options_.horizon > 0) {
    for (std::size_t i = 0; i < demos.size(); ++i) {
      const auto n = demos[i].states.size();
      const bool ends = mdp.IsTerminal(demos[i].states.back(), demos[i].actions.back());
      if (n > static_cast<std::size_t>(options_.horizon) ||
          (n < static_cast<std::size_t>(options_.horizon) && !ends)) {
        throw Error(fmt::format("demos[{}]: {} steps with horizon {} (expected exactly horizon "
                                "steps, or fewer ending with an action that ends the episode)",
                                i, n, options_.horizon));
      }
    }
  }
  empirical_.assign(nf, 0.0);
  expected_.assign(nf, 0.0);
  start_.assign(ns, 0.0);
  const double w = 1.0 / static_cast<double>(demos.size());
  double dyn = 0.0;
  for (const auto& d : demos) {
    start_[static_cast<std::size_t>(d.states[0])] += w;
    // Discounted: a demonstration that did not end observes only its first n terms of the infinite
    // discounted sum; its counts are rescaled from total weight sum_{t<n} gamma^t to
    // 1 / (1 - gamma), the weight of every infinite-horizon trajectory (docs/maxent-irl.md).
    double scale = 1.0;
    if (options_.horizon == 0 && !mdp.IsTerminal(d.states.back(), d.actions.back())) {
      const double observed = (1.0 - std::pow(options_.discount, static_cast<double>(d.states.size()))) /
                              (1.0 - options_.discount);
      scale = 1.0 / ((1.0 - options_.discount) * observed);
    }
    double g = 1.0;
    for (std::size_t t = 0; t < d.states.size(); ++t) {
      const auto row = features.Row(d.states[t], d.actions[t]);
      for (std::size_t j = 0; j < nf; ++j) empirical_[j] += w * scale * g * row[j];
      g *= options_.discount;
      if (t + 1 < d.states.size()) {
        const auto next = mdp.NextStates(d.states[t], d.actions[t]);
        const auto prob = mdp.NextProbabilities(d.states[t], d.actions[t]);
        for (std::size_t k = 0; k < next.size(); ++k) {
          if (next[k] == d.states[t + 1]) dyn += w * std::log(prob[k]);
        }
      }
    }
  }
  dynamics_log_likelihood_ = dyn;
  rewards_.assign(nsa, 0.0);
  visitation_.assign(nsa, 0.0);
  d_.assign(ns, 0.0);
  d_next_.assign(ns, 0.0);
  if (options_.horizon > 0) {
    const auto horizon = static_cast<std::size_t>(options_.horizon);
    interval_ = options_.checkpoint_interval;
    if (interval_ == 0) {
      interval_ = (horizon + 1) * ns * sizeof(double) <= kMaxStoredValuesBytes
                      ? options_.horizon
                      : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(horizon))));
    }
    const auto b = static_cast<std::size_t>(interval_);
    const std::size_t segments = (horizon + b - 1) / b;
    checkpoints_.assign((segments - 1) * ns, 0.0);
    segment_.assign((b + 1) * ns, 0.0);
    // The segment's policies too, when they fit: the forward pass then needs no exponentials
    // (for mce) and no Q; otherwise it recomputes them from V_{t+1}.
    if (options_.keep_policies && b * nsa * sizeof(double) <= kMaxStoredValuesBytes) {
      policy_.assign(b * nsa, 0.0);
    }
  } else {
    segment_.assign(2 * ns, 0.0);  // V and the next sweep's V
    policy_.assign(nsa, 0.0);
    if (options_.method == IrlMethod::kMaxEnt) {
      weights_.assign(static_cast<std::size_t>(mdp.num_transitions()), 0.0);
    }
  }
  scratch_.assign(2 * static_cast<std::size_t>(mdp.num_actions()), 0.0);
}

std::size_t IrlObjective::workspace_bytes() const {
  return sizeof(double) * (rewards_.size() + visitation_.size() + checkpoints_.size() +
                           segment_.size() + d_.size() + d_next_.size() + policy_.size() +
                           weights_.size() + scratch_.size());
}

double IrlObjective::Evaluate(std::span<const double> theta, std::span<double> gradient) {
  const auto nf = static_cast<std::size_t>(features_->num_features);
  if (theta.size() != nf || (!gradient.empty() && gradient.size() != nf)) {
    throw Error(fmt::format("theta: {} values and gradient: {} (expected {} each, one per feature)",
                            theta.size(), gradient.size(), nf));
  }
  for (std::size_t j = 0; j < nf; ++j) {
    if (!std::isfinite(theta[j])) {
      throw Error(fmt::format("theta[{}]: {} is not finite", j, theta[j]));
    }
  }
  LinearReward(*features_, theta, rewards_);
  std::fill(visitation_.begin(), visitation_.end(), 0.0);
  if (options_.horizon > 0) {
    EvaluateFiniteHorizon();
  } else {
    EvaluateDiscounted();
  }
  // mu = sum_{s,a} visitation(s, a) f(s, a).
  std::fill(expected_.begin(), expected_.end(), 0.0);
  const auto na = static_cast<std::size_t>(mdp_->num_actions());
  const double* fv = features_->values.data();
  for (std::size_t s = 0; s < static_cast<std::size_t>(mdp_->num_states()); ++s) {
    if (features_->kind == FeatureKind::kState) {
      double vs = 0.0;
      for (std::size_t a = 0; a < na; ++a) vs += visitation_[s * na + a];
      if (vs == 0.0) continue;
      for (std::size_t j = 0; j < nf; ++j) expected_[j] += vs * fv[s * nf + j];
    } else {
      for (std::size_t a = 0; a < na; ++a) {
        const double x = visitation_[s * na + a];
        if (x == 0.0) continue;
        for (std::size_t j = 0; j < nf; ++j) expected_[j] += x * fv[(s * na + a) * nf + j];
      }
    }
  }
  const double alpha = options_.temperature;
  double dot = 0.0;
  double sq = 0.0;
  for (std::size_t j = 0; j < nf; ++j) {
    dot += theta[j] * empirical_[j];
    sq += theta[j] * theta[j];
  }
  if (!gradient.empty()) {
    for (std::size_t j = 0; j < nf; ++j) {
      gradient[j] = (empirical_[j] - expected_[j]) / alpha - options_.l2 * theta[j];
    }
  }
  return (dot - start_value_) / alpha - 0.5 * options_.l2 * sq;
}

void IrlObjective::EvaluateFiniteHorizon() {
  const Kernel k{mdp_->row_offsets().data(), mdp_->next_states().data(),
                 mdp_->next_probabilities().data(), rewards_.data(),
                 static_cast<std::size_t>(mdp_->num_states()),
                 static_cast<std::size_t>(mdp_->num_actions()), options_.temperature,
                 options_.discount};
  const bool maxent = options_.method == IrlMethod::kMaxEnt;
  auto sweep = [&](const double* v_next, double* v, double* policy) {
    if (maxent) {
      BackupSweep<IrlMethod::kMaxEnt>(k, v_next, v, scratch_.data(), policy);
    } else {
      BackupSweep<IrlMethod::kMaxCausalEnt>(k, v_next, v, scratch_.data(), policy);
    }
  };
  const std::size_t ns = k.num_states;
  const std::size_t nsa = ns * k.num_actions;
  const int horizon = options_.horizon;
  const int b = interval_;
  const int segments = (horizon + b - 1) / b;
  const bool stored_policy = !policy_.empty();
  // Values at the segment ends t = b, 2b, ..., (segments - 1) b, from V_T = 0 (d_ and d_next_ are
  // free scratch until the forward pass).
  if (segments > 1) {
    std::fill(d_.begin(), d_.end(), 0.0);
    double* v_next = d_.data();
    double* v = d_next_.data();
    for (int t = horizon - 1; t >= b; --t) {
      sweep(v_next, v, nullptr);
      std::swap(v_next, v);
      if (t % b == 0) {
        std::copy(v_next, v_next + ns,
                  checkpoints_.begin() + static_cast<std::ptrdiff_t>((t / b - 1) * ns));
      }
    }
  }
  std::copy(start_.begin(), start_.end(), d_.begin());
  double weight = 1.0;
  for (int j = 0; j < segments; ++j) {
    const int begin = j * b;
    const int end = std::min(horizon, begin + b);
    const auto len = static_cast<std::size_t>(end - begin);
    double* rows = segment_.data();
    if (end == horizon) {
      std::fill(rows + len * ns, rows + (len + 1) * ns, 0.0);
    } else {
      const auto src = checkpoints_.begin() + static_cast<std::ptrdiff_t>(j * ns);
      std::copy(src, src + static_cast<std::ptrdiff_t>(ns), rows + len * ns);
    }
    for (std::size_t i = len; i-- > 0;) {
      sweep(rows + (i + 1) * ns, rows + i * ns, stored_policy ? policy_.data() + i * nsa : nullptr);
    }
    if (j == 0) {
      start_value_ = 0.0;
      for (std::size_t s = 0; s < ns; ++s) start_value_ += start_[s] * rows[s];
    }
    for (std::size_t i = 0; i < len; ++i) {
      std::fill(d_next_.begin(), d_next_.end(), 0.0);
      const double* pi = stored_policy ? policy_.data() + i * nsa : nullptr;
      if (maxent) {
        ForwardStep<IrlMethod::kMaxEnt>(k, rows + (i + 1) * ns, pi, d_.data(), d_next_.data(),
                                        visitation_.data(), weight, scratch_.data());
      } else {
        ForwardStep<IrlMethod::kMaxCausalEnt>(k, rows + (i + 1) * ns, pi, d_.data(), d_next_.data(),
                                              visitation_.data(), weight, scratch_.data());
      }
      d_.swap(d_next_);
      weight *= options_.discount;
    }
  }
}

void IrlObjective::EvaluateDiscounted() {
  const Kernel k{mdp_->row_offsets().data(), mdp_->next_states().data(),
                 mdp_->next_probabilities().data(), rewards_.data(),
                 static_cast<std::size_t>(mdp_->num_states()),
                 static_cast<std::size_t>(mdp_->num_actions()), options_.temperature,
                 options_.discount};
  const bool maxent = options_.method == IrlMethod::kMaxEnt;
  const std::size_t ns = k.num_states;
  const std::size_t na = k.num_actions;
  const double gamma = options_.discount;
  const double factor = gamma / (1.0 - gamma);
  // Soft value iteration, warm-started from the last evaluation's values (segment_[0..S)).
  double* v = segment_.data();
  double* v_new = segment_.data() + ns;
  double* qrow = scratch_.data();
  bool converged = false;
  for (int it = 0; it < options_.max_iterations; ++it) {
    std::copy(v, v + ns, v_new);
    const double change = maxent ? BackupSweep<IrlMethod::kMaxEnt>(k, v, v_new, qrow, nullptr)
                                 : BackupSweep<IrlMethod::kMaxCausalEnt>(k, v, v_new, qrow, nullptr);
    std::copy(v_new, v_new + ns, v);
    if (!std::isfinite(change)) throw Error("irl: soft value iteration diverged (non-finite values)");
    if (factor * change <= options_.tolerance || change == 0.0) {
      converged = true;
      break;
    }
  }
  if (!converged) {
    throw Error(fmt::format("irl: soft value iteration did not converge in max_iterations = {} "
                            "sweeps (tolerance {})", options_.max_iterations, options_.tolerance));
  }
  start_value_ = 0.0;
  for (std::size_t s = 0; s < ns; ++s) start_value_ += start_[s] * v[s];
  if (maxent) {
    PolicyAndDynamics<IrlMethod::kMaxEnt>(k, v, policy_.data(), weights_.data(), qrow);
  } else {
    PolicyAndDynamics<IrlMethod::kMaxCausalEnt>(k, v, policy_.data(), nullptr, qrow);
  }
  // Occupancy rho = d_0 + gamma Q_pi^T rho by fixed-point iteration (l1 contraction).
  const double* w = maxent ? weights_.data() : k.prob;
  std::copy(start_.begin(), start_.end(), d_.begin());
  converged = false;
  for (int it = 0; it < options_.max_iterations; ++it) {
    std::copy(start_.begin(), start_.end(), d_next_.begin());
    for (std::size_t s = 0; s < ns; ++s) {
      const double ds = d_[s];
      if (ds == 0.0) continue;
      for (std::size_t a = 0; a < na; ++a) {
        const double x = gamma * ds * policy_[s * na + a];
        for (std::int64_t i = k.offsets[s * na + a]; i < k.offsets[s * na + a + 1]; ++i) {
          d_next_[static_cast<std::size_t>(k.next[i])] += x * w[i];
        }
      }
    }
    double change = 0.0;
    for (std::size_t s = 0; s < ns; ++s) change += std::abs(d_next_[s] - d_[s]);
    d_.swap(d_next_);
    if (factor * change <= options_.tolerance || change == 0.0) {
      converged = true;
      break;
    }
  }
  if (!converged) {
    throw Error(fmt::format("irl: the occupancy iteration did not converge in max_iterations = {} "
                            "sweeps (tolerance {})", options_.max_iterations, options_.tolerance));
  }
  for (std::size_t s = 0; s < ns; ++s) {
    for (std::size_t a = 0; a < na; ++a) visitation_[s * na + a] = d_[s] * policy_[s * na + a];
  }
}

Mdp WithRewards(const Mdp& mdp, std::span<const double> rewards) {
  const auto na = static_cast<std::size_t>(mdp.num_actions());
  if (rewards.size() != static_cast<std::size_t>(mdp.num_states()) * na) {
    throw Error(fmt::format("rewards: {} values (expected num_states x num_actions = {})",
                            rewards.size(), static_cast<std::size_t>(mdp.num_states()) * na));
  }
  MdpSpec spec = mdp.ToSpec();
  for (std::size_t s = 0; s < spec.rewards.size(); ++s) {
    for (std::size_t a = 0; a < na; ++a) spec.rewards[s][a] = rewards[s * na + a];
  }
  return Mdp::FromSpec(spec);
}

double ExpectedValueDifference(const Mdp& mdp, std::span<const double> learned_rewards,
                               double discount) {
  if (!(discount >= 0.0 && discount < 1.0)) {
    throw Error(fmt::format("discount: {} is invalid for the expected value difference (expected "
                            "a number in [0, 1))", discount));
  }
  SoftValueIterationOptions o;
  o.temperature = 0.0;
  o.discount = discount;
  o.tolerance = 1e-10;
  auto value_under_true = [&](const Mdp& problem) {
    const auto result = SolveSoftValueIteration(problem, o);
    const Occupancy occ = DiscountedOccupancy(mdp, result.solution.policy, discount);
    double v = 0.0;
    for (std::size_t i = 0; i < occ.state_action.size(); ++i) {
      v += occ.state_action[i] * mdp.rewards()[i];
    }
    return v;
  };
  return value_under_true(mdp) - value_under_true(WithRewards(mdp, learned_rewards));
}

}  // namespace cai
