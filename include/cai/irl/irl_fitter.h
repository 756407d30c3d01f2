// FitIrl one iteration at a time: IrlFitter holds the optimiser's state (L-BFGS memory or Adam
// moments, the iterate, its objective and gradient, the trace) so that a fit can be checkpointed
// and resumed bit for bit; IrlRunTrainer drives it through the run layer (run::StartRun /
// ResumeRun), one step per optimiser iteration.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cai/core/adam.h"
#include "cai/irl/maxent_irl.h"
#include "cai/run/trainer.h"

namespace cai {

class IrlFitter {
 public:
  /// Validates the options, starts at `initial_theta` (empty: zeros) and evaluates the objective
  /// there (trace row 0). `objective` must outlive the fitter.
  IrlFitter(IrlObjective& objective, const IrlFitOptions& options, std::span<const double> initial_theta = {});

  /// True once the fit has stopped (converged, line search failed, or max_iterations reached).
  bool done() const { return done_; }
  int iterations() const { return iterations_; }
  /// One iteration, or the decision to stop (then done() and iterations() unchanged). No-op when done().
  void Step();
  /// The fit so far: theta is the current iterate; message is empty until done().
  IrlFitResult result() const;
  /// The latest trace row.
  const IrlTraceRow& last() const { return result_.trace.back(); }

  /// Everything Step() needs to continue exactly ("irl.*" tensors and metadata).
  void Save(nn::SafetensorsFile& file) const;
  /// Throws cai::Error naming the tensor if the file does not fit this fit (size, optimizer).
  void Restore(const nn::SafetensorsFile& file);

 private:
  struct Pair {
    std::vector<double> s, y;
    double rho;
  };
  void StepLbfgs();
  void StepAdam();
  void Stop(bool converged, std::string message);
  void StopAtBudget();

  IrlObjective* objective_;
  IrlFitOptions options_;
  std::vector<double> x_, g_;  ///< L-BFGS: g = grad of F = -L; Adam: g = dL/dtheta
  double f_ = 0.0;             ///< L-BFGS: F = -L; Adam: L
  int evaluations_ = 1;
  std::deque<Pair> memory_;    ///< L-BFGS
  std::optional<Adam<double>> adam_;
  IrlFitResult result_;        ///< the trace (theta and the summary filled by result())
  int iterations_ = 0;         ///< accepted iterations
  bool converged_ = false;     ///< stopped by a convergence test
  std::string message_;        ///< why it stopped; empty until done()
  bool done_ = false;
  bool at_budget_ = false;     ///< stopped by max_iterations rather than by the algorithm
};

/// An IRL fit as a run::Trainer: step() = iterations, finished() once the fit stops, metrics
/// irl/objective, irl/gradient_norm and irl/evaluations from step 0; no environment to evaluate on.
/// The policy file holds theta ("irl.theta").
class IrlRunTrainer final : public run::IterativeTrainer {
 public:
  /// `config` is what config.json holds (the command's description of the problem and options);
  /// `method` names the checkpoint's owner.
  IrlRunTrainer(IrlObjective& objective, const IrlFitOptions& options, std::string method, nlohmann::json config);

  std::string algorithm() const override { return "irl"; }
  std::int64_t step() const override { return fitter_.iterations(); }
  std::int64_t total_steps() const override { return max_iterations_; }
  bool finished() const override { return fitter_.done(); }
  std::span<const run::EpisodeStats> Step() override;
  std::vector<std::pair<std::string, double>> Scalars() const override;
  void SaveCheckpoint(nn::SafetensorsFile& file) const override;
  void RestoreCheckpoint(const nn::SafetensorsFile& file) override;
  void SavePolicy(nn::SafetensorsFile& file) const override;
  nlohmann::json Config() const override { return config_; }

  const IrlFitter& fitter() const { return fitter_; }

 private:
  IrlFitter fitter_;
  std::int64_t max_iterations_;
  std::string method_;
  nlohmann::json config_;
};

}  // namespace cai
