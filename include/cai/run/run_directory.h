// Run directories: drive any Trainer to its step budget while writing the resolved config,
// metrics (CSV, JSON Lines, TensorBoard), periodic atomic checkpoints, the final policy and an
// evaluation summary; resume an interrupted run from its last checkpoint.
//
// Layout of a run directory:
//   config.json            the resolved configuration (algorithm, environment, every option, run options)
//   metrics.csv            step,tag,value,wall_time (long format)
//   metrics.jsonl          one object per logging event
//   events.out.tfevents.*  TensorBoard scalars (charts/*, losses/*, eval/*)
//   checkpoint.safetensors the latest checkpoint (written to a temp file, then renamed)
//   policy.safetensors     the final policy (loadable by `cai eval` and by safetensors in Python)
//   eval.json              deterministic evaluation of the final policy
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include <nlohmann/json_fwd.hpp>

#include "cai/run/trainer.h"

namespace cai::run {

struct RunOptions {
  std::filesystem::path directory;
  std::int64_t checkpoint_interval = 10000;  ///< checkpoint at the first episode end after each multiple; 0 = only at the end
  std::int64_t eval_interval = 5000;         ///< evaluate every this many steps (at episode ends); 0 = only at the end
  int eval_episodes = 10;
  std::uint64_t eval_seed = 1000003;         ///< seed of the first evaluation episode
  std::int64_t log_interval = 1000;          ///< log losses every this many steps
  bool progress = true;                      ///< progress bar / lines on stderr
};

/// Throws cai::Error naming the field unless the intervals are >= 0, eval_episodes >= 1 and the
/// directory is non-empty.
void ValidateRunOptions(const RunOptions& options);
nlohmann::json RunOptionsToJson(const RunOptions& options);
/// Reads the run options stored in a config.json (the "run" object), keeping `directory`.
RunOptions RunOptionsFromJson(const nlohmann::json& json, std::filesystem::path directory);

/// What a finished run produced.
struct RunResult {
  EvaluationResult final_evaluation;
  std::int64_t steps = 0;
  double wall_seconds = 0;      ///< time spent in this invocation
  double steps_per_second = 0;  ///< environment steps (with their updates) per second in this invocation
};

/// Starts a new run: the directory must not already contain a config.json (so a run is never
/// overwritten by accident); creates it, writes config.json, then trains.
RunResult StartRun(Trainer& trainer, const RunOptions& options);

/// Continues the run in options.directory: restores checkpoint.safetensors into `trainer` (which
/// must have been built from the same config.json), drops metrics logged after the checkpoint
/// (they will be produced again, identically), then trains to the end. Same seed, same result as
/// an uninterrupted run.
RunResult ResumeRun(Trainer& trainer, const RunOptions& options);

/// Reads <dir>/config.json; throws cai::Error naming the file if missing or not JSON.
nlohmann::json ReadRunConfig(const std::filesystem::path& directory);

}  // namespace cai::run
