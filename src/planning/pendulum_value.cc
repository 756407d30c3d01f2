#include "cai/planning/pendulum_value.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/inference/soft_value_iteration.h"

namespace cai::planning {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kMaxSpeed = 8.0;
constexpr double kMaxTorque = 2.0;
constexpr double kDt = 0.05;

double Wrap(double theta) { return theta - 2.0 * kPi * std::floor((theta + kPi) / (2.0 * kPi)); }

// The grid cell of (theta, theta_dot): lower node indices and the fractions towards the upper ones.
struct Cell {
  int i0, i1, j0;
  double ft, fv;
};

Cell Locate(const PendulumValueOptions& o, double theta, double theta_dot) {
  const double dtheta = 2.0 * kPi / o.angle_bins;
  const double dvel = 2.0 * kMaxSpeed / (o.velocity_bins - 1);
  const double a = (Wrap(theta) + kPi) / dtheta;
  int i0 = static_cast<int>(std::floor(a));
  double ft = a - i0;
  if (i0 >= o.angle_bins) {  // theta == pi after rounding
    i0 = 0;
    ft = 0.0;
  }
  const double v = (std::clamp(theta_dot, -kMaxSpeed, kMaxSpeed) + kMaxSpeed) / dvel;
  const int j0 = std::min(static_cast<int>(std::floor(v)), o.velocity_bins - 2);
  return Cell{i0, (i0 + 1) % o.angle_bins, j0, ft, v - j0};
}

}  // namespace

void ValidatePendulumValueOptions(const PendulumValueOptions& o) {
  const auto fail = [](const char* field, double value, const char* expected) {
    throw Error(fmt::format("PendulumValueOptions.{}: {} is invalid (expected {})", field, value, expected));
  };
  if (o.angle_bins < 8 || o.angle_bins > 4096) fail("angle_bins", o.angle_bins, "an integer in [8, 4096]");
  if (o.velocity_bins < 3 || o.velocity_bins > 4096) fail("velocity_bins", o.velocity_bins, "an integer in [3, 4096]");
  if (o.action_levels < 2 || o.action_levels > 256) fail("action_levels", o.action_levels, "an integer in [2, 256]");
  if (!(o.discount > 0.0 && o.discount < 1.0)) fail("discount", o.discount, "a number in (0, 1)");
  if (!(std::isfinite(o.temperature) && o.temperature >= 0.0)) fail("temperature", o.temperature, "a finite number >= 0");
  if (!std::isfinite(o.gravity)) fail("gravity", o.gravity, "a finite number");
  if (!(std::isfinite(o.tolerance) && o.tolerance > 0.0)) fail("tolerance", o.tolerance, "a finite number > 0");
  if (o.threads < 1 || o.threads > 1024) fail("threads", o.threads, "an integer in [1, 1024]");
}

Mdp BuildPendulumGridMdp(const PendulumValueOptions& o) {
  ValidatePendulumValueOptions(o);
  const int na = o.angle_bins, nv = o.velocity_bins, nu = o.action_levels;
  const double dtheta = 2.0 * kPi / na;
  const double dvel = 2.0 * kMaxSpeed / (nv - 1);
  MdpSpec spec;
  spec.num_states = na * nv;
  spec.num_actions = nu;
  spec.rewards.assign(static_cast<std::size_t>(spec.num_states), std::vector<double>(static_cast<std::size_t>(nu)));
  spec.transitions.reserve(static_cast<std::size_t>(spec.num_states) * static_cast<std::size_t>(nu));
  for (int i = 0; i < na; ++i) {
    const double theta = -kPi + i * dtheta;
    for (int j = 0; j < nv; ++j) {
      const double theta_dot = -kMaxSpeed + j * dvel;
      const int s = i * nv + j;
      for (int k = 0; k < nu; ++k) {
        // env::Pendulum::DoStep, in double precision.
        const double u = -kMaxTorque + 2.0 * kMaxTorque * k / (nu - 1);
        const double angle = Wrap(theta);
        spec.rewards[static_cast<std::size_t>(s)][static_cast<std::size_t>(k)] =
            -(angle * angle + 0.1 * theta_dot * theta_dot + 0.001 * u * u);
        const double acceleration = 3.0 * o.gravity / 2.0 * std::sin(theta) + 3.0 * u;
        const double next_dot = std::clamp(theta_dot + acceleration * kDt, -kMaxSpeed, kMaxSpeed);
        const double next_theta = theta + next_dot * kDt;
        const Cell c = Locate(o, next_theta, next_dot);
        TransitionSpec t{s, k, {}};
        const auto add = [&](int ii, int jj, double w) {
          if (w <= 0.0) return;
          const int n = ii * nv + jj;
          for (auto& [state, p] : t.next) {
            if (state == n) {
              p += w;
              return;
            }
          }
          t.next.emplace_back(n, w);
        };
        add(c.i0, c.j0, (1 - c.ft) * (1 - c.fv));
        add(c.i1, c.j0, c.ft * (1 - c.fv));
        add(c.i0, c.j0 + 1, (1 - c.ft) * c.fv);
        add(c.i1, c.j0 + 1, c.ft * c.fv);
        spec.transitions.push_back(std::move(t));
      }
    }
  }
  return Mdp::FromSpec(spec);
}

std::shared_ptr<const PendulumValueTable> PendulumValueTable::Solve(const PendulumValueOptions& options) {
  const Mdp mdp = BuildPendulumGridMdp(options);
  SoftValueIterationOptions vi;
  vi.temperature = options.temperature;
  vi.discount = options.discount;
  vi.backup = Backup::kVariational;
  vi.tolerance = options.tolerance;
  vi.threads = options.threads;
  vi.max_iterations = 1000000;
  SoftValueIterationResult r = SolveSoftValueIteration(mdp, vi);
  if (!r.summary.converged) {
    throw Error(fmt::format("PendulumValueTable: value iteration did not converge ({})", r.summary.BriefReport()));
  }
  auto table = std::make_shared<PendulumValueTable>();
  table->options_ = options;
  table->values_ = std::move(r.solution.values);
  table->values_f_.assign(table->values_.begin(), table->values_.end());
  table->summary_ = r.summary;
  return table;
}

double PendulumValueTable::Value(double theta, double theta_dot) const {
  const Cell c = Locate(options_, theta, theta_dot);
  const int nv = options_.velocity_bins;
  const auto v = [&](int i, int j) { return values_[static_cast<std::size_t>(i * nv + j)]; };
  return (1 - c.ft) * ((1 - c.fv) * v(c.i0, c.j0) + c.fv * v(c.i0, c.j0 + 1)) +
         c.ft * ((1 - c.fv) * v(c.i1, c.j0) + c.fv * v(c.i1, c.j0 + 1));
}

void PendulumValueTable::AddTo(ConstBatchView states, std::span<float> rewards, float weight) const {
  const float* theta = states.row(0);
  const float* theta_dot = states.row(1);
  const int na = options_.angle_bins, nv = options_.velocity_bins;
  const float dtheta = static_cast<float>(2.0 * kPi / na);
  const float dvel = static_cast<float>(2.0 * kMaxSpeed / (nv - 1));
  const float two_pi = static_cast<float>(2.0 * kPi), pi = static_cast<float>(kPi);
  const float* v = values_f_.data();
  for (std::size_t k = 0; k < rewards.size(); ++k) {
    float t = theta[k] - two_pi * std::floor((theta[k] + pi) / two_pi);
    float a = (t + pi) / dtheta;
    int i0 = static_cast<int>(a);
    float ft = a - static_cast<float>(i0);
    if (i0 >= na) {
      i0 = 0;
      ft = 0.0f;
    } else if (i0 < 0) {
      i0 = 0;
      ft = 0.0f;
    }
    const int i1 = i0 + 1 == na ? 0 : i0 + 1;
    const float w = (std::clamp(theta_dot[k], -8.0f, 8.0f) + 8.0f) / dvel;
    const int j0 = std::min(static_cast<int>(w), nv - 2);
    const float fv = w - static_cast<float>(j0);
    const float value = (1 - ft) * ((1 - fv) * v[i0 * nv + j0] + fv * v[i0 * nv + j0 + 1]) +
                        ft * ((1 - fv) * v[i1 * nv + j0] + fv * v[i1 * nv + j0 + 1]);
    rewards[k] += weight * value;
  }
}

}  // namespace cai::planning
