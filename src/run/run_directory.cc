#include "cai/run/run_directory.h"

#include <charconv>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/file.h"
#include "cai/run/metrics_logger.h"
#include "cai/run/progress.h"
#include "cai/nn/safetensors.h"

namespace cai::run {
namespace fs = std::filesystem;

namespace {

constexpr const char* kConfig = "config.json";
constexpr const char* kCheckpoint = "checkpoint.safetensors";
constexpr const char* kPolicy = "policy.safetensors";
constexpr const char* kEval = "eval.json";

nlohmann::json EvaluationToJson(const EvaluationResult& e, std::int64_t step) {
  return {{"step", step},
          {"episodes", e.returns.size()},
          {"mean_return", e.mean_return},
          {"std_return", e.std_return},
          {"returns", e.returns},
          {"lengths", e.lengths}};
}

// Keeps the lines of a metrics file whose step is <= `last_step` (header kept), rewritten atomically.
// A killed run may leave a partly written last line (no newline): it is dropped.
void TruncateMetrics(const fs::path& path, std::int64_t last_step, bool csv) {
  if (!fs::exists(path)) return;
  std::string text = ReadFile(path);
  text.erase(text.find_last_of('\n') == std::string::npos ? 0 : text.find_last_of('\n') + 1);
  std::istringstream in(text);
  std::string line, kept;
  bool first = true;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    bool keep = false;
    if (csv && first) {
      keep = true;  // header
    } else if (csv) {
      const std::string step = line.substr(0, line.find(','));
      std::int64_t value = 0;
      const auto [ptr, ec] = std::from_chars(step.data(), step.data() + step.size(), value);
      if (ec != std::errc() || ptr != step.data() + step.size()) {
        throw Error(fmt::format("{}: line \"{}\" does not start with a step number", path.string(), line));
      }
      keep = value <= last_step;
    } else {
      const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      keep = j.is_object() && j.contains("step") && j["step"].get<std::int64_t>() <= last_step;
    }
    first = false;
    if (keep) kept += line + "\n";
  }
  WriteFileAtomically(path, kept);
}

void SaveCheckpoint(const Trainer& trainer, const fs::path& directory, std::int64_t step) {
  nn::SafetensorsFile file;
  trainer.SaveCheckpoint(file);
  file.metadata["step"] = std::to_string(step);
  nn::SaveSafetensors(directory / kCheckpoint, file);
}

RunResult Train(Trainer& trainer, const RunOptions& o, bool fresh) {
  MetricsLogger logger(o.directory);
  const std::int64_t total = trainer.total_steps();
  const std::int64_t start = trainer.step();
  std::optional<ProgressReporter> progress;
  if (o.progress) progress.emplace(total, start);
  const auto next_multiple = [](std::int64_t s, std::int64_t every) { return (s / every + 1) * every; };
  // Logging, evaluation and checkpoints are due when step() reaches or passes a multiple of their
  // interval (a vector-environment learner advances step() by several at a time).
  std::int64_t next_checkpoint = o.checkpoint_interval > 0 ? next_multiple(start, o.checkpoint_interval) : total + 1;
  std::int64_t next_log = o.log_interval > 0 ? next_multiple(start, o.log_interval) : total + 1;
  std::int64_t next_eval = o.eval_interval > 0 ? next_multiple(start, o.eval_interval) : total + 1;
  const bool evaluates = trainer.can_evaluate();
  std::optional<double> recent_return;
  const auto t0 = std::chrono::steady_clock::now();
  auto last_log_time = t0;
  std::int64_t last_log_step = start;
  std::int64_t logged_step = -1;  // step of the latest Scalars() row
  std::vector<std::pair<std::string_view, double>> row;
  const auto log_scalars = [&](const std::vector<std::pair<std::string, double>>& scalars, std::int64_t s,
                               bool with_sps) {
    row.clear();
    for (const auto& [tag, value] : scalars) row.emplace_back(tag, value);
    if (with_sps) {
      const auto now = std::chrono::steady_clock::now();
      const double dt = std::chrono::duration<double>(now - last_log_time).count();
      row.emplace_back("charts/SPS", dt > 0 ? static_cast<double>(s - last_log_step) / dt : 0.0);
      last_log_time = now;
      last_log_step = s;
    }
    logger.Log(s, row);
    logged_step = s;
  };
  if (fresh) {
    const auto initial = trainer.InitialScalars();
    if (!initial.empty()) log_scalars(initial, start, /*with_sps=*/false);
  }
  while (!trainer.finished()) {
    const std::span<const EpisodeStats> episodes = trainer.Step();
    const std::int64_t s = trainer.step();
    for (const EpisodeStats& episode : episodes) {
      recent_return = episode.episodic_return;
      logger.Log(episode.end_step, {{"charts/episodic_return", episode.episodic_return},
                                    {"charts/episodic_length", static_cast<double>(episode.length)}});
    }
    if (s >= next_log) {
      log_scalars(trainer.Scalars(), s, /*with_sps=*/true);
      next_log = next_multiple(s, o.log_interval);
    }
    if (evaluates && s >= next_eval && s < total) {
      const EvaluationResult e = trainer.Evaluate(o.eval_episodes, o.eval_seed);
      logger.Log(s, {{"eval/mean_return", e.mean_return}, {"eval/std_return", e.std_return}});
      next_eval = next_multiple(s, o.eval_interval);
    }
    if (s >= next_checkpoint && s < total && trainer.can_checkpoint()) {
      // Metrics first: once the checkpoint exists, everything logged up to it must be on disk (a
      // run killed right after the rename resumes from here and keeps exactly these rows).
      logger.Flush();
      SaveCheckpoint(trainer, o.directory, s);
      next_checkpoint = next_multiple(s, o.checkpoint_interval);
    }
    if (progress) progress->Update(s, recent_return);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (progress) progress->Finish();

  RunResult result;
  result.steps = trainer.step();
  result.wall_seconds = seconds;
  result.steps_per_second = seconds > 0 ? static_cast<double>(result.steps - start) / seconds : 0.0;
  if (evaluates) {
    result.final_evaluation = trainer.Evaluate(o.eval_episodes, o.eval_seed);
    logger.Log(result.steps, {{"eval/mean_return", result.final_evaluation.mean_return},
                              {"eval/std_return", result.final_evaluation.std_return}});
  } else if (logged_step != result.steps) {
    log_scalars(trainer.Scalars(), result.steps, /*with_sps=*/true);
  }
  logger.Flush();
  nn::SafetensorsFile policy;
  trainer.SavePolicy(policy);
  nn::SaveSafetensors(o.directory / kPolicy, policy);
  if (evaluates) {
    nlohmann::json eval = EvaluationToJson(result.final_evaluation, result.steps);
    eval["wall_seconds"] = seconds;
    eval["steps_per_second"] = result.steps_per_second;
    WriteFileAtomically(o.directory / kEval, eval.dump(2) + "\n");
  }
  // The finished run's state, so that it can be continued with a larger budget.
  if (trainer.can_checkpoint()) SaveCheckpoint(trainer, o.directory, result.steps);
  return result;
}

}  // namespace

void ValidateRunOptions(const RunOptions& o) {
  if (o.directory.empty()) throw Error("--out: the run directory is empty (expected a path)");
  const auto check = [](std::string_view field, std::int64_t v) {
    if (v < 0) throw Error(fmt::format("{}: {} is invalid (expected an integer >= 0)", field, v));
  };
  check("checkpoint_interval", o.checkpoint_interval);
  check("eval_interval", o.eval_interval);
  check("log_interval", o.log_interval);
  if (o.eval_episodes < 1) {
    throw Error(fmt::format("eval_episodes: {} is invalid (expected an integer >= 1)", o.eval_episodes));
  }
}

nlohmann::json RunOptionsToJson(const RunOptions& o) {
  return {{"checkpoint_interval", o.checkpoint_interval},
          {"eval_interval", o.eval_interval},
          {"eval_episodes", o.eval_episodes},
          {"eval_seed", o.eval_seed},
          {"log_interval", o.log_interval}};
}

RunOptions RunOptionsFromJson(const nlohmann::json& j, fs::path directory) {
  RunOptions o;
  o.directory = std::move(directory);
  try {
    o.checkpoint_interval = j.at("checkpoint_interval").get<std::int64_t>();
    o.eval_interval = j.at("eval_interval").get<std::int64_t>();
    o.eval_episodes = j.at("eval_episodes").get<int>();
    o.eval_seed = j.at("eval_seed").get<std::uint64_t>();
    o.log_interval = j.at("log_interval").get<std::int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("config.json \"run\": {} ({})", j.dump(), e.what()));
  }
  ValidateRunOptions(o);
  return o;
}

nlohmann::json ReadRunConfig(const fs::path& directory) {
  const fs::path path = directory / kConfig;
  if (!fs::exists(path)) {
    throw Error(fmt::format("{}: no such file (is {} a run directory?)", path.string(), directory.string()));
  }
  const auto j = nlohmann::json::parse(ReadFile(path), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw Error(fmt::format("{}: not a JSON object", path.string()));
  return j;
}

RunResult StartRun(Trainer& trainer, const RunOptions& options) {
  ValidateRunOptions(options);
  const fs::path config = options.directory / kConfig;
  if (fs::exists(config)) {
    throw Error(fmt::format("--out: {} already holds a run (use --resume {} to continue it, or another directory)",
                            options.directory.string(), options.directory.string()));
  }
  std::error_code ec;
  fs::create_directories(options.directory, ec);
  if (ec) {
    throw Error(fmt::format("--out: cannot create {} ({})", options.directory.string(), ec.message()));
  }
  nlohmann::json j = trainer.Config();
  j["run"] = RunOptionsToJson(options);
  WriteFileAtomically(config, j.dump(2) + "\n");
  return Train(trainer, options, /*fresh=*/true);
}

RunResult ResumeRun(Trainer& trainer, const RunOptions& options) {
  ValidateRunOptions(options);
  const fs::path path = options.directory / kCheckpoint;
  if (!fs::exists(path)) {
    throw Error(fmt::format("--resume: {} has no checkpoint yet (nothing to resume; start the run again)",
                            options.directory.string()));
  }
  const nn::SafetensorsFile file = nn::LoadSafetensors(path);
  trainer.RestoreCheckpoint(file);
  TruncateMetrics(options.directory / "metrics.csv", trainer.step(), /*csv=*/true);
  TruncateMetrics(options.directory / "metrics.jsonl", trainer.step(), /*csv=*/false);
  TrimEventFiles(options.directory, trainer.step());
  return Train(trainer, options, /*fresh=*/false);
}

}  // namespace cai::run
