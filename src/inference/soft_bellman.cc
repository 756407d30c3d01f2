#include "cai/inference/soft_bellman.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"

namespace cai {
namespace {

// Continuation value of one (s, a) given next-step values.
template <Backup kBackup>
inline double Continuation(const std::int32_t* next, const double* prob, std::int64_t n,
                           const double* v_next, double temperature, double discount) {
  if constexpr (kBackup == Backup::kVariational) {
    double acc = 0.0;
    for (std::int64_t k = 0; k < n; ++k) acc += prob[k] * v_next[next[k]];
    return discount * acc;
  } else {
    // temperature * log sum p exp(discount * V / temperature), shifted by the max over p > 0.
    double m = kNegInf;
    for (std::int64_t k = 0; k < n; ++k) {
      if (prob[k] > 0.0) m = std::max(m, v_next[next[k]]);
    }
    if (temperature == 0.0 || discount == 0.0) return discount * m;
    double s = 0.0;
    for (std::int64_t k = 0; k < n; ++k) {
      if (prob[k] > 0.0) s += prob[k] * std::exp(discount * (v_next[next[k]] - m) / temperature);
    }
    return discount * m + temperature * std::log(s);
  }
}

// Soft maximum over the actions of one state: temperature * log sum_a p(a|s) exp(q_a / temperature)
// with log p given as a per-action array (table), or as a constant offset (none / uniform).
inline double SoftMaxRow(const double* q, int num_actions, double temperature,
                         const double* log_prior_row, double log_prior_const) {
  double m = kNegInf;
  for (int a = 0; a < num_actions; ++a) {
    if (log_prior_row == nullptr || log_prior_row[a] != kNegInf) m = std::max(m, q[a]);
  }
  if (temperature == 0.0) return m;
  if (log_prior_row == nullptr) {
    double s = 0.0;
    for (int a = 0; a < num_actions; ++a) s += std::exp((q[a] - m) / temperature);
    return m + temperature * (std::log(s) + log_prior_const);
  }
  return SoftMax(std::span<const double>(q, static_cast<std::size_t>(num_actions)), temperature,
                 std::span<const double>(log_prior_row, static_cast<std::size_t>(num_actions)));
}

template <Backup kBackup>
void BackupImpl(const Mdp& mdp, const SoftBellmanParams& p, std::span<const double> v_next,
                std::span<double> q, std::span<double> v) {
  const int num_states = mdp.num_states();
  const int num_actions = mdp.num_actions();
  const auto offsets = mdp.row_offsets();
  const std::int32_t* next = mdp.next_states().data();
  const double* prob = mdp.next_probabilities().data();
  const double* rewards = mdp.rewards().data();
  const double* vn = v_next.data();
  const bool table = p.prior.kind() == PriorKind::kTable;
  const double log_prior_const =
      p.prior.kind() == PriorKind::kUniform ? -std::log(static_cast<double>(num_actions)) : 0.0;
  const double* log_table = table ? p.prior.log_table().data() : nullptr;
  for (int s = 0; s < num_states; ++s) {
    const std::size_t row = static_cast<std::size_t>(s) * static_cast<std::size_t>(num_actions);
    double* qs = q.data() + row;
    for (int a = 0; a < num_actions; ++a) {
      const std::size_t sa = row + static_cast<std::size_t>(a);
      const std::int64_t begin = offsets[sa];
      const std::int64_t n = offsets[sa + 1] - begin;
      qs[a] = rewards[sa] +
              (n == 0 ? 0.0
                      : Continuation<kBackup>(next + begin, prob + begin, n, vn, p.temperature,
                                              p.discount));
    }
    v[static_cast<std::size_t>(s)] = SoftMaxRow(qs, num_actions, p.temperature,
                                                table ? log_table + row : nullptr, log_prior_const);
  }
}

}  // namespace

std::string BackupName(Backup backup) {
  return backup == Backup::kVariational ? "variational" : "exact";
}

Backup ParseBackup(const std::string& name) {
  if (name == "variational") return Backup::kVariational;
  if (name == "exact") return Backup::kExact;
  throw Error(fmt::format("backup: \"{}\" is not a backup (expected variational or exact)", name));
}

void ValidateSoftBellmanParams(const SoftBellmanParams& params, const Mdp& mdp) {
  if (!std::isfinite(params.temperature) || params.temperature < 0.0) {
    throw Error(fmt::format("temperature: {} is invalid (expected a finite number >= 0)",
                            params.temperature));
  }
  if (!(params.discount >= 0.0 && params.discount <= 1.0)) {
    throw Error(fmt::format("discount: {} is invalid (expected a number in [0, 1])",
                            params.discount));
  }
  params.prior.CheckFits(mdp.num_states(), mdp.num_actions());
}

void SoftBellmanBackup(const Mdp& mdp, const SoftBellmanParams& params,
                       std::span<const double> v_next, std::span<double> q, std::span<double> v) {
  assert(v_next.size() == static_cast<std::size_t>(mdp.num_states()));
  assert(v.size() == static_cast<std::size_t>(mdp.num_states()));
  assert(q.size() == static_cast<std::size_t>(mdp.num_states()) * mdp.num_actions());
  if (params.backup == Backup::kVariational) {
    BackupImpl<Backup::kVariational>(mdp, params, v_next, q, v);
  } else {
    BackupImpl<Backup::kExact>(mdp, params, v_next, q, v);
  }
}

void SoftPolicy(const Mdp& mdp, const SoftBellmanParams& params, std::span<const double> q,
                std::span<double> policy) {
  const int num_actions = mdp.num_actions();
  const auto na = static_cast<std::size_t>(num_actions);
  std::vector<double> log_prior(na);
  for (int s = 0; s < mdp.num_states(); ++s) {
    for (int a = 0; a < num_actions; ++a) {
      log_prior[static_cast<std::size_t>(a)] = params.prior.LogProb(s, a, num_actions);
    }
    const auto qs = q.subspan(static_cast<std::size_t>(s) * na, na);
    double qmax = kNegInf;
    for (double x : qs) qmax = std::max(qmax, std::abs(x));
    // At temperature 0, actions within a relative 1e-9 of the best count as ties: values computed
    // by iteration to a tolerance cannot separate them more finely.
    const double tie_tolerance = 1e-9 * (1.0 + qmax);
    SoftArgMax(qs, params.temperature, log_prior, policy.subspan(static_cast<std::size_t>(s) * na, na),
               tie_tolerance);
  }
}

}  // namespace cai
