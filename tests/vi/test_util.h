// Random Gaussians for the vi tests.
#pragma once

#include <Eigen/Core>

#include "cai/core/rng.h"

namespace cai::testing {

inline Eigen::VectorXd RandomVector(int d, Rng& rng, double scale = 1.0) {
  Eigen::VectorXd v(d);
  for (int i = 0; i < d; ++i) v[i] = scale * rng.Normal();
  return v;
}

/// M M^T / d + I / 2 for M with standard normal entries: well conditioned, positive definite.
inline Eigen::MatrixXd RandomSpd(int d, Rng& rng) {
  Eigen::MatrixXd m(d, d);
  for (int i = 0; i < d; ++i) {
    for (int j = 0; j < d; ++j) m(i, j) = rng.Normal();
  }
  return m * m.transpose() / d + 0.5 * Eigen::MatrixXd::Identity(d, d);
}

}  // namespace cai::testing
