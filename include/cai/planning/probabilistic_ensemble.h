// A probabilistic ensemble (Chua et al. 2018, "PETS"): E networks, each a Gaussian
// p_e(y | x) = N(mu_e(x), diag(exp(logvar_e(x)))) fitted by maximum likelihood. The spread of the
// members' means is the epistemic uncertainty (what the data has not pinned down yet); each
// member's variance is the aleatoric uncertainty (noise the data shows). Inputs and targets are
// standardised with the mean and standard deviation of the data of each Fit.
//
// Per member and example, with D outputs, the loss is the Gaussian negative log-likelihood of the
// standardised target y without its constant 0.5 D log(2 pi):
//   nll = 0.5 * sum_j ((mu_j - y_j)^2 exp(-lv_j) + lv_j),
// where the log-variance is softly bounded from the network's raw output z:
//   lv = max_lv - softplus(max_lv - z);   lv = min_lv + softplus(lv - min_lv),
// so lv lies in (min_lv, min_lv + softplus(max_lv - min_lv)], an upper limit that exceeds max_lv by
// log1p(exp(min_lv - max_lv)) (2.75e-5 for the defaults).
// (The bounds keep exp(-lv) finite where the data are noiseless; the soft bounding keeps a
// gradient everywhere.) The gradient of this loss is written by hand (GaussianNll) and checked
// against finite differences in tests/planning/probabilistic_ensemble_test.cc.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cai/core/adam.h"
#include "cai/core/rng.h"
#include "cai/core/solver_summary.h"
#include "cai/nn/mlp.h"

namespace cai::nn {
struct SafetensorsFile;
}

namespace cai::planning {

/// Hyperparameters of a ProbabilisticEnsemble. The defaults fit Pendulum-v1's dynamics from a few
/// hundred transitions in about a second per Fit on one core (bench/pets_results.md).
struct EnsembleOptions {
  /// E, the number of members (>= 1).
  int members = 5;
  /// Hidden layer sizes of each member.
  std::vector<int> hidden = {64, 64};
  nn::Activation activation = nn::Activation::kElu;
  /// Adam learning rate (> 0).
  double learning_rate = 1e-3;
  /// Examples per gradient step (>= 1).
  int batch_size = 64;
  /// Gradient steps per member per Fit (>= 1). A fixed count (rather than epochs) keeps the cost
  /// of a Fit independent of the data set's size.
  int gradient_steps = 1000;
  /// L2 coefficient c >= 0: c * theta is added to every gradient (0: none).
  double weight_decay = 0.0;
  /// Bounds of the (standardised) log-variance, min < max.
  double min_log_variance = -10.0;
  double max_log_variance = 0.5;
  /// Each member trains on its own bootstrap resample of the data (drawn anew at every Fit).
  bool bootstrap = true;
  /// Seed of the initial weights, the bootstrap and the minibatches.
  std::uint64_t seed = 0;
};

/// Throws cai::Error ("EnsembleOptions.<field> = <value>; expected ...") unless the options are valid.
void ValidateEnsembleOptions(const EnsembleOptions& options);

/// What a Fit did. NLL and MSE are means over the data and the members, per example, on the
/// standardised targets (NLL without the 0.5 D log(2 pi) constant; MSE summed over the D outputs).
/// The SolverSummary part: kBudgetReached (converged) when every loss is finite, else kFailure;
/// iterations = gradient steps per member; final_residual = final_nll; no error bound.
struct EnsembleFitSummary : SolverSummary {
  int examples = 0;              ///< data set size
  double initial_nll = 0.0;      ///< on the whole data set, before this Fit's steps
  double final_nll = 0.0;        ///< on the whole data set, after
  double final_mse = 0.0;        ///< mean squared error of the members' means, after
  std::vector<double> member_nll;  ///< final NLL of each member
};

/// The soft bound of the log-variance and its derivative d lv / d raw (see the file comment).
float BoundLogVariance(float raw, float min_log_variance, float max_log_variance, float* derivative);

/// Gaussian NLL of a batch. `output` (2D x B) holds the network's raw outputs: rows [0, D) the
/// means, rows [D, 2D) the raw log-variances; `target` is D x B. Returns the mean over the batch of
/// 0.5 sum_j ((mu_j - y_j)^2 exp(-lv_j) + lv_j), and, when `gradient` is not null (already 2D x B),
/// writes d(that mean) / d output into it. Does not allocate.
double GaussianNll(const Eigen::Ref<const nn::Matrix>& output, const Eigen::Ref<const nn::Matrix>& target,
                   float min_log_variance, float max_log_variance, nn::Matrix* gradient);

/// Mean and standard deviation of each row of the data (std floored at 1e-6 relative to the
/// mean's scale, and 1 where a row is constant), used to standardise x -> (x - mean) / std.
struct Standardizer {
  std::vector<float> mean, std;
  /// From the rows of `data` (dim x N, N >= 1), in double.
  static Standardizer FromData(const Eigen::Ref<const nn::Matrix>& data);
  /// Identity of dimension `dim`.
  static Standardizer Identity(int dim);
  void Apply(Eigen::Ref<nn::Matrix> x) const;   ///< x <- (x - mean) / std, column by column
  void Invert(Eigen::Ref<nn::Matrix> x) const;  ///< x <- x * std + mean
};

/// E Gaussian MLPs of the same shape, their Adam states and the standardisers of the last Fit.
class ProbabilisticEnsemble {
 public:
  /// input_dim, output_dim >= 1; throws cai::Error as ValidateEnsembleOptions.
  ProbabilisticEnsemble(int input_dim, int output_dim, const EnsembleOptions& options);

  int input_dim() const { return input_dim_; }
  int output_dim() const { return output_dim_; }
  int members() const { return static_cast<int>(nets_.size()); }
  const EnsembleOptions& options() const { return options_; }
  /// True after the first Fit (before it the standardisers are the identity).
  bool fitted() const { return fitted_; }
  const nn::Mlp& member(int e) const { return nets_[e]; }
  nn::Mlp& member(int e) { return nets_[e]; }
  const Standardizer& input_standardizer() const { return input_std_; }
  const Standardizer& target_standardizer() const { return target_std_; }

  /// Recomputes the standardisers from the data, then takes options().gradient_steps Adam steps on
  /// each member (continuing from the current weights and Adam state), on minibatches drawn from
  /// its bootstrap resample (or from all the data). `inputs` is input_dim x N, `targets`
  /// output_dim x N, N >= 1, all finite; throws cai::Error otherwise.
  EnsembleFitSummary Fit(const Eigen::Ref<const nn::Matrix>& inputs, const Eigen::Ref<const nn::Matrix>& targets);

  /// Member e's predictive mean and variance in the original (unstandardised) units for the columns
  /// of `inputs` (input_dim x n, n <= ws.max_batch()); `mean` and `variance` (either may be null)
  /// must be output_dim x n already. `scratch` must be input_dim x (>= n). Does not allocate.
  void Predict(int member, const Eigen::Ref<const nn::Matrix>& inputs, nn::MlpWorkspace& ws, nn::Matrix& scratch,
               nn::Matrix* mean, nn::Matrix* variance) const;

  /// Everything (weights, Adam states, standardisers, generator, fitted flag) under "<prefix>.*".
  void Save(nn::SafetensorsFile& file, const std::string& prefix) const;
  /// Restores what Save wrote; throws cai::Error naming the entry if missing or of another shape.
  void Restore(const nn::SafetensorsFile& file, const std::string& prefix);

 private:
  double DatasetNll(int member, const nn::Matrix& x, const nn::Matrix& y, double* mse);

  EnsembleOptions options_;
  int input_dim_, output_dim_;
  Rng rng_;
  std::vector<nn::Mlp> nets_;
  std::vector<Adam<float>> adams_;
  Standardizer input_std_, target_std_;
  bool fitted_ = false;
};

}  // namespace cai::planning
