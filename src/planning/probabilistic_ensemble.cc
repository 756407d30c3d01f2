#include "cai/planning/probabilistic_ensemble.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"
#include "cai/core/options.h"
#include "cai/nn/mlp_safetensors.h"
#include "cai/nn/safetensors.h"

namespace cai::planning {
namespace {

[[noreturn]] void Invalid(std::string_view field, const std::string& value, std::string_view expected) {
  ThrowInvalidOption({std::string(field), value, std::string(expected)}, "EnsembleOptions");
}

nn::MlpSpec MemberSpec(int input_dim, int output_dim, const EnsembleOptions& o) {
  nn::MlpSpec spec;
  spec.input_dim = input_dim;
  spec.hidden = o.hidden;
  spec.output_dim = 2 * output_dim;  // means, then raw log-variances
  spec.hidden_activation = o.activation;
  spec.output_activation = nn::Activation::kIdentity;
  return spec;
}

}  // namespace

void ValidateEnsembleOptions(const EnsembleOptions& o) {
  if (o.members < 1 || o.members > 1024) Invalid("members", std::to_string(o.members), "an integer in [1, 1024]");
  for (std::size_t i = 0; i < o.hidden.size(); ++i) {
    if (o.hidden[i] < 1 || o.hidden[i] > 65536) {
      Invalid(fmt::format("hidden[{}]", i), std::to_string(o.hidden[i]), "an integer in [1, 65536]");
    }
  }
  if (!(std::isfinite(o.learning_rate) && o.learning_rate > 0)) {
    Invalid("learning_rate", fmt::format("{}", o.learning_rate), "a finite number > 0");
  }
  if (o.batch_size < 1 || o.batch_size > (1 << 20)) {
    Invalid("batch_size", std::to_string(o.batch_size), "an integer in [1, 2^20]");
  }
  if (o.gradient_steps < 1) Invalid("gradient_steps", std::to_string(o.gradient_steps), "an integer >= 1");
  if (!(std::isfinite(o.weight_decay) && o.weight_decay >= 0)) {
    Invalid("weight_decay", fmt::format("{}", o.weight_decay), "a finite number >= 0");
  }
  if (!std::isfinite(o.min_log_variance) || o.min_log_variance < -30) {
    Invalid("min_log_variance", fmt::format("{}", o.min_log_variance), "a finite number >= -30");
  }
  if (!(std::isfinite(o.max_log_variance) && o.max_log_variance > o.min_log_variance && o.max_log_variance <= 30)) {
    Invalid("max_log_variance", fmt::format("{}", o.max_log_variance),
            fmt::format("a number in (min_log_variance = {}, 30]", o.min_log_variance));
  }
}

float BoundLogVariance(float raw, float min_lv, float max_lv, float* derivative) {
  const float upper = max_lv - Softplus(max_lv - raw);
  const float lv = min_lv + Softplus(upper - min_lv);
  if (derivative != nullptr) *derivative = Sigmoid(max_lv - raw) * Sigmoid(upper - min_lv);
  return lv;
}

double GaussianNll(const Eigen::Ref<const nn::Matrix>& output, const Eigen::Ref<const nn::Matrix>& target,
                   float min_lv, float max_lv, nn::Matrix* gradient) {
  const Eigen::Index d = target.rows(), b = target.cols();
  const float inv_b = 1.0f / static_cast<float>(b);
  double total = 0.0;
  for (Eigen::Index k = 0; k < b; ++k) {
    for (Eigen::Index j = 0; j < d; ++j) {
      float dlv_draw = 0.0f;
      const float lv = BoundLogVariance(output(d + j, k), min_lv, max_lv, &dlv_draw);
      const float precision = std::exp(-lv);
      const float err = output(j, k) - target(j, k);
      total += 0.5 * (static_cast<double>(err) * err * precision + lv);
      if (gradient != nullptr) {
        (*gradient)(j, k) = err * precision * inv_b;
        (*gradient)(d + j, k) = 0.5f * (1.0f - err * err * precision) * dlv_draw * inv_b;
      }
    }
  }
  return total / static_cast<double>(b);
}

Standardizer Standardizer::FromData(const Eigen::Ref<const nn::Matrix>& data) {
  Standardizer s;
  const Eigen::Index n = data.cols();
  for (Eigen::Index i = 0; i < data.rows(); ++i) {
    double sum = 0.0;
    for (Eigen::Index k = 0; k < n; ++k) sum += data(i, k);
    const double mean = sum / static_cast<double>(n);
    double sq = 0.0;
    for (Eigen::Index k = 0; k < n; ++k) sq += (data(i, k) - mean) * (data(i, k) - mean);
    double sd = std::sqrt(sq / static_cast<double>(n));
    // A (near-)constant row is left unscaled: dividing by ~0 would blow up rounding noise.
    if (!(sd > 1e-6 * std::max(1.0, std::abs(mean)))) sd = 1.0;
    s.mean.push_back(static_cast<float>(mean));
    s.std.push_back(static_cast<float>(sd));
  }
  return s;
}

Standardizer Standardizer::Identity(int dim) { return Standardizer{std::vector<float>(dim, 0.0f), std::vector<float>(dim, 1.0f)}; }

void Standardizer::Apply(Eigen::Ref<nn::Matrix> x) const {
  for (Eigen::Index k = 0; k < x.cols(); ++k) {
    for (Eigen::Index i = 0; i < x.rows(); ++i) x(i, k) = (x(i, k) - mean[i]) / std[i];
  }
}

void Standardizer::Invert(Eigen::Ref<nn::Matrix> x) const {
  for (Eigen::Index k = 0; k < x.cols(); ++k) {
    for (Eigen::Index i = 0; i < x.rows(); ++i) x(i, k) = x(i, k) * std[i] + mean[i];
  }
}

ProbabilisticEnsemble::ProbabilisticEnsemble(int input_dim, int output_dim, const EnsembleOptions& options)
    : options_(options), input_dim_(input_dim), output_dim_(output_dim), rng_(options.seed) {
  ValidateEnsembleOptions(options);
  if (input_dim < 1) throw Error(fmt::format("ProbabilisticEnsemble: input_dim = {}; expected >= 1", input_dim));
  if (output_dim < 1) throw Error(fmt::format("ProbabilisticEnsemble: output_dim = {}; expected >= 1", output_dim));
  const nn::MlpSpec spec = MemberSpec(input_dim, output_dim, options);
  nn::ValidateMlpSpec(spec);
  const AdamOptions adam{.learning_rate = options.learning_rate};
  for (int e = 0; e < options.members; ++e) {
    nets_.emplace_back(spec, rng_);
    adams_.emplace_back(nets_.back().num_parameters(), adam);
  }
  input_std_ = Standardizer::Identity(input_dim);
  target_std_ = Standardizer::Identity(output_dim);
}

double ProbabilisticEnsemble::DatasetNll(int member, const nn::Matrix& x, const nn::Matrix& y, double* mse) {
  const int n = static_cast<int>(x.cols());
  const int chunk = std::min(n, 1024);
  nn::MlpWorkspace ws(nets_[member], chunk);
  const float lo = static_cast<float>(options_.min_log_variance), hi = static_cast<float>(options_.max_log_variance);
  double nll = 0.0, se = 0.0;
  for (int begin = 0; begin < n; begin += chunk) {
    const int m = std::min(chunk, n - begin);
    const auto out = nn::Forward(nets_[member], ws, x.middleCols(begin, m));
    nll += GaussianNll(out, y.middleCols(begin, m), lo, hi, nullptr) * m;
    se += (out.topRows(output_dim_) - y.middleCols(begin, m)).cast<double>().squaredNorm();
  }
  *mse = se / n;
  return nll / n;
}

EnsembleFitSummary ProbabilisticEnsemble::Fit(const Eigen::Ref<const nn::Matrix>& inputs,
                                              const Eigen::Ref<const nn::Matrix>& targets) {
  if (inputs.rows() != input_dim_ || targets.rows() != output_dim_ || inputs.cols() != targets.cols() ||
      inputs.cols() < 1) {
    throw Error(fmt::format("ProbabilisticEnsemble::Fit: inputs {}x{} and targets {}x{}; expected {}xN and {}xN, N >= 1",
                            inputs.rows(), inputs.cols(), targets.rows(), targets.cols(), input_dim_, output_dim_));
  }
  if (!inputs.allFinite() || !targets.allFinite()) {
    throw Error("ProbabilisticEnsemble::Fit: the data contain a non-finite number; expected finite inputs and targets");
  }
  const int n = static_cast<int>(inputs.cols());
  input_std_ = Standardizer::FromData(inputs);
  target_std_ = Standardizer::FromData(targets);
  nn::Matrix x = inputs, y = targets;
  input_std_.Apply(x);
  target_std_.Apply(y);
  fitted_ = true;

  const int b = options_.batch_size;
  const float lo = static_cast<float>(options_.min_log_variance), hi = static_cast<float>(options_.max_log_variance);
  const float decay = static_cast<float>(options_.weight_decay);
  nn::Matrix bx(input_dim_, b), by(output_dim_, b), grad(2 * output_dim_, b);
  nn::MlpWorkspace ws(nets_[0], b);
  std::vector<int> pool(n);
  EnsembleFitSummary summary;
  summary.iterations = options_.gradient_steps;
  summary.examples = n;
  double initial = 0.0, final_nll = 0.0, final_mse = 0.0, unused = 0.0;
  for (int e = 0; e < members(); ++e) {
    initial += DatasetNll(e, x, y, &unused);
    for (int i = 0; i < n; ++i) {
      pool[i] = options_.bootstrap ? static_cast<int>(rng_.UniformInt(static_cast<std::uint64_t>(n))) : i;
    }
    nn::Mlp& net = nets_[e];
    for (int step = 0; step < options_.gradient_steps; ++step) {
      for (int j = 0; j < b; ++j) {
        const int i = pool[rng_.UniformInt(static_cast<std::uint64_t>(n))];
        bx.col(j) = x.col(i);
        by.col(j) = y.col(i);
      }
      const auto out = nn::Forward(net, ws, bx);
      GaussianNll(out, by, lo, hi, &grad);
      nn::Backward(net, ws, grad, nullptr, nn::ParameterGradients::kOverwrite);
      if (decay > 0.0f) {
        const auto p = net.parameters();
        const auto g = net.gradients();
        for (std::size_t i = 0; i < p.size(); ++i) g[i] += decay * p[i];
      }
      adams_[e].Step(net.parameters(), net.gradients());
    }
    double mse = 0.0;
    summary.member_nll.push_back(DatasetNll(e, x, y, &mse));
    final_nll += summary.member_nll.back();
    final_mse += mse;
  }
  summary.initial_nll = initial / members();
  summary.final_nll = summary.final_residual = final_nll / members();
  summary.final_mse = final_mse / members();
  if (std::isfinite(summary.final_nll) && std::isfinite(summary.final_mse)) {
    summary.Finish(TerminationType::kBudgetReached,
                   fmt::format("{} members x {} steps on {} examples: NLL {:.4g} -> {:.4g}, MSE {:.4g}", members(),
                               options_.gradient_steps, n, summary.initial_nll, summary.final_nll, summary.final_mse));
  } else {
    summary.Finish(TerminationType::kFailure, "a loss became non-finite (try a smaller learning_rate)");
  }
  return summary;
}

void ProbabilisticEnsemble::Predict(int member, const Eigen::Ref<const nn::Matrix>& inputs, nn::MlpWorkspace& ws,
                                    nn::Matrix& scratch, nn::Matrix* mean, nn::Matrix* variance) const {
  const Eigen::Index n = inputs.cols();
  auto x = scratch.leftCols(n);
  x = inputs;
  input_std_.Apply(x);
  const auto out = nn::Forward(nets_[member], ws, x);
  const float lo = static_cast<float>(options_.min_log_variance), hi = static_cast<float>(options_.max_log_variance);
  for (Eigen::Index k = 0; k < n; ++k) {
    for (int j = 0; j < output_dim_; ++j) {
      const float sd = target_std_.std[j];
      if (mean != nullptr) (*mean)(j, k) = out(j, k) * sd + target_std_.mean[j];
      if (variance != nullptr) {
        (*variance)(j, k) = std::exp(BoundLogVariance(out(output_dim_ + j, k), lo, hi, nullptr)) * sd * sd;
      }
    }
  }
}

void ProbabilisticEnsemble::Save(nn::SafetensorsFile& f, const std::string& prefix) const {
  for (int e = 0; e < members(); ++e) {
    nn::AddMlp(f, fmt::format("{}.member.{}", prefix, e), nets_[e]);
    nn::PutAdam(f, fmt::format("{}.adam.{}", prefix, e), adams_[e]);
  }
  const auto put = [&](const char* name, const std::vector<float>& v) {
    f.tensors[prefix + "." + name] = nn::Tensor::FromFloats(v, {static_cast<std::int64_t>(v.size())});
  };
  put("input_mean", input_std_.mean);
  put("input_std", input_std_.std);
  put("target_mean", target_std_.mean);
  put("target_std", target_std_.std);
  const std::int64_t flags[] = {fitted_ ? 1 : 0};
  f.tensors[prefix + ".fitted"] = nn::Tensor::FromInt64(flags, {1});
  nn::PutRngState(f, prefix + ".rng", rng_.SaveState());
}

void ProbabilisticEnsemble::Restore(const nn::SafetensorsFile& f, const std::string& prefix) {
  for (int e = 0; e < members(); ++e) {
    nn::LoadMlpParameters(f, fmt::format("{}.member.{}", prefix, e), nets_[e]);
    nn::GetAdam(f, fmt::format("{}.adam.{}", prefix, e), adams_[e]);
  }
  const auto get = [&](const char* name, std::int64_t dim) {
    const std::int64_t shape[] = {dim};
    return nn::RequireTensor(f, prefix + "." + name, nn::DType::kF32, shape).ToFloats();
  };
  input_std_ = Standardizer{get("input_mean", input_dim_), get("input_std", input_dim_)};
  target_std_ = Standardizer{get("target_mean", output_dim_), get("target_std", output_dim_)};
  const std::int64_t one[] = {1};
  fitted_ = nn::RequireTensor(f, prefix + ".fitted", nn::DType::kI64, one).ToInt64()[0] != 0;
  rng_.RestoreState(nn::GetRngState(f, prefix + ".rng"));
}

}  // namespace cai::planning
