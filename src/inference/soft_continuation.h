// The body of SoftContinuation (soft_backup.h), inline for the soft Bellman sweep's kernels, which
// back up whole blocks of rows with it; soft_backup.cc compiles the public function from the same
// body. Both are compiled without fused multiply-adds (src/CMakeLists.txt), so they agree to the
// last bit. Private to the inference module.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "cai/core/numerics.h"
#include "cai/inference/soft_backup.h"

namespace cai::detail {

template <Backup kBackup>
inline double SoftContinuationInline(const std::int32_t* next, const double* prob,
                                     std::int64_t n, const double* v, double temperature,
                                     double discount) {
  if (n == 0) return 0.0;
  if constexpr (kBackup == Backup::kVariational) {
    double acc = 0.0;
    for (std::int64_t k = 0; k < n; ++k) acc += prob[k] * v[next[k]];
    return discount * acc;
  } else {
    double m = kNegInf;
    for (std::int64_t k = 0; k < n; ++k) {
      if (prob[k] > 0.0) m = std::max(m, v[next[k]]);
    }
    if (temperature == 0.0 || discount == 0.0) return discount * m;
    double zmin = 0.0;
    double total = 0.0;
    for (std::int64_t k = 0; k < n; ++k) {
      if (prob[k] > 0.0) {
        zmin = std::min(zmin, discount * (v[next[k]] - m) / temperature);
        total += prob[k];
      }
    }
    double s = 0.0;
    if (zmin >= -1.0) {
      for (std::int64_t k = 0; k < n; ++k) {
        if (prob[k] > 0.0) s += prob[k] * std::expm1(discount * (v[next[k]] - m) / temperature);
      }
      return discount * m + temperature * std::log1p(s / total);
    }
    for (std::int64_t k = 0; k < n; ++k) {
      if (prob[k] > 0.0) s += prob[k] * std::exp(discount * (v[next[k]] - m) / temperature);
    }
    return discount * m + temperature * std::log(s / total);
  }
}

}  // namespace cai::detail
