// cai align: KL-regularised alignment on the token world (PPO, DPO, IPO) against the exact posterior,
// with a run directory (config, metrics, checkpoints, resume) and the reward-versus-KL frontier.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/align/align_trainer.h"
#include "cai/align/exact_posterior.h"
#include "cai/align/mlp_policy.h"
#include "cai/core/error.h"
#include "cai/core/file.h"
#include "cai/run/run_directory.h"
#include "commands.h"

namespace cai::cli {
namespace {

namespace fs = std::filesystem;
using align::AlignMetrics;
using align::AlignOptions;
using align::AlignProblemOptions;

struct AlignArgs {
  AlignProblemOptions problem;
  AlignOptions o;
  std::string method = "ppo";
  std::string sampler = "reference";
  std::string out;
  std::string resume;
  std::string frontier;
  std::string policy = "tabular";
  std::string hidden = "64";
  int checkpoint_every = 100;
  int log_every = 10;
  bool json = false;
};

// Flags that define the run: fixed once a run directory exists.
const char* const kRunFlags[] = {"--method", "--beta", "--steps", "--lr", "--seed", "--pairs", "--sampler",
                                 "--samples", "--epochs", "--clip", "--prompts", "--vocab", "--max-length",
                                 "--reward", "--corpus", "--smoothing", "--problem-seed", "--reward-model", "--checkpoint-every",
                                 "--log-every", "--frontier"};

nlohmann::json MetricsJson(const align::AlignProblem& problem, const AlignMetrics& m) {
  return {{"steps", m.step},
          {"loss", m.loss},
          {"reward", m.reward},
          {"kl_reference", m.kl_reference},
          {"kl_target", m.kl_target},
          {"true_reward", m.true_reward},
          {"kl_true_target", m.kl_true_target},
          {"reward_model_error", problem.reward_model_error}};
}

nlohmann::json PolicyJson(const align::AlignProblem& problem, const align::AlignTrainer& trainer) {
  const auto& world = problem.world;
  const std::vector<double> lp = trainer.policy().ResponseLogProbs();
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  nlohmann::json prompts = nlohmann::json::array();
  for (int x = 0; x < world.num_prompts(); ++x) {
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t r = 0; r < r_count; ++r) {
      const std::size_t i = static_cast<std::size_t>(x) * r_count + r;
      rows.push_back({{"response", world.ResponseText(static_cast<int>(r))},
                      {"pi", std::exp(lp[i])},
                      {"pi_ref", std::exp(problem.reference_log_probs[i])},
                      {"target", std::exp(trainer.target_log_probs()[i])},
                      {"reward", problem.reward[i]},
                      {"true_reward", problem.true_reward[i]}});
    }
    prompts.push_back(rows);
  }
  return {{"format", "cai.align_policy/1"}, {"logits", trainer.policy().logits()}, {"prompts", prompts}};
}

// The run directory of the shared run layer (config.json, metrics, TensorBoard, checkpoint.safetensors,
// policy.safetensors), plus policy.json and summary.json.
AlignMetrics RunInDirectory(const AlignArgs& a, const align::AlignProblem& problem, const fs::path& dir, bool resume) {
  align::AlignRunTrainer trainer(problem, a.problem, a.o);
  run::RunOptions options;
  options.directory = dir;
  options.checkpoint_interval = a.checkpoint_every;
  options.log_interval = a.log_every;
  options.eval_interval = 0;
  options.progress = false;
  if (resume) {
    run::ResumeRun(trainer, options);
  } else {
    run::StartRun(trainer, options);
  }
  WriteFileAtomically(dir / "policy.json", PolicyJson(problem, trainer.trainer()).dump(1));
  WriteFileAtomically(dir / "summary.json", MetricsJson(problem, trainer.metrics()).dump(1) + "\n");
  return trainer.metrics();
}

std::vector<double> ParseBetas(const std::string& text) {
  std::vector<double> betas;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    double b = 0.0;
    try {
      b = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty()) {
      throw Error(fmt::format("--frontier: \"{}\" is not a number (expected a comma-separated list of betas > 0)", item));
    }
    align::ValidateBeta(b);
    betas.push_back(b);
  }
  if (betas.empty()) throw Error("--frontier: no betas given (expected e.g. 0.25,0.5,1,2)");
  return betas;
}

struct FrontierPoint {
  double beta;
  std::string method;
  AlignMetrics m;
};

std::string FrontierSvg(const std::vector<FrontierPoint>& points) {
  double kl_max = 1e-9, r_min = 1e300, r_max = -1e300;
  for (const auto& p : points) {
    kl_max = std::max(kl_max, p.m.kl_reference);
    r_min = std::min(r_min, p.m.reward);
    r_max = std::max(r_max, p.m.reward);
  }
  if (r_max - r_min < 1e-9) r_max = r_min + 1.0;
  const double w = 480, h = 360, left = 60, bottom = 40, top = 20, right = 20;
  auto px = [&](double kl) { return left + (w - left - right) * kl / (1.05 * kl_max); };
  auto py = [&](double r) { return h - bottom - (h - top - bottom) * (r - r_min) / (r_max - r_min); };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n"
      "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n"
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">KL(pi || pi_ref) (0 to {:.3g})</text>\n"
      "<text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">E[R] ({:.3g} to {:.3g})</text>\n",
      w, h, left, h - bottom, w - right, h - bottom, left, top, left, h - bottom, (w + left) / 2, h - 8,
      1.05 * kl_max, h / 2, h / 2, r_min, r_max);
  const std::pair<const char*, const char*> series[] = {{"exact", "black"}, {"ppo", "#d62728"}, {"dpo", "#1f77b4"}};
  int legend = 0;
  for (const auto& [name, colour] : series) {
    std::string path;
    for (const auto& p : points) {
      if (p.method != name) continue;
      path += fmt::format("{}{:.2f},{:.2f} ", path.empty() ? "M" : "L", px(p.m.kl_reference), py(p.m.reward));
      s += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"{}\" fill=\"{}\"><title>{} beta={}</title></circle>\n",
                       px(p.m.kl_reference), py(p.m.reward), std::string(name) == "exact" ? 2 : 4, colour, name, p.beta);
    }
    if (std::string(name) == "exact") s += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"black\"/>\n", path);
    s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>\n", w - 120, top + 16 + 16 * legend++, colour,
                     std::string(name) == "exact" ? "exact pi* (enumeration)" : name);
  }
  return s + "</svg>\n";
}

void RunFrontier(const AlignArgs& a, const align::AlignProblem& problem) {
  const std::vector<double> betas = ParseBetas(a.frontier);
  std::vector<FrontierPoint> points;
  for (double beta : betas) {
    const auto pi_star = align::EnumeratedPosterior(problem.world, problem.reference_log_probs, problem.reward, beta);
    AlignMetrics exact;
    exact.reward = align::MeanReward(problem.world, pi_star.log_probs, problem.reward);
    exact.kl_reference = align::MeanSequenceKl(problem.world, pi_star.log_probs, problem.reference_log_probs);
    exact.true_reward = align::MeanReward(problem.world, pi_star.log_probs, problem.true_reward);
    const auto true_pi_star =
        align::EnumeratedPosterior(problem.world, problem.reference_log_probs, problem.true_reward, beta);
    exact.kl_true_target = align::MeanSequenceKl(problem.world, pi_star.log_probs, true_pi_star.log_probs);
    points.push_back({beta, "exact", exact});
    for (align::AlignMethod method : {align::AlignMethod::kPpo, align::AlignMethod::kDpo}) {
      AlignOptions o = a.o;
      o.method = method;
      o.beta = beta;
      align::AlignTrainer trainer(problem, o);
      AlignMetrics m = trainer.Evaluate();
      for (int i = 0; i < o.steps; ++i) m = trainer.Step();
      points.push_back({beta, align::AlignMethodName(method), m});
    }
  }
  std::string csv = "beta,method,reward,kl_reference,kl_target,true_reward,kl_true_target\n";
  for (const auto& p : points) {
    csv += fmt::format("{},{},{:.10g},{:.10g},{:.10g},{:.10g},{:.10g}\n", p.beta, p.method, p.m.reward,
                       p.m.kl_reference, p.method == "exact" ? 0.0 : p.m.kl_target, p.m.true_reward,
                       p.m.kl_true_target);
  }
  const fs::path dir = a.out.empty() ? fs::path(".") : fs::path(a.out);
  fs::create_directories(dir);
  WriteFileAtomically(dir / "frontier.csv", csv);
  WriteFileAtomically(dir / "frontier.svg", FrontierSvg(points));
  std::printf("%s", csv.c_str());
}

}  // namespace

void AddAlignCommand(CLI::App& app) {
  auto args = std::make_shared<AlignArgs>();
  CLI::App* cmd = app.add_subcommand(
      "align", "KL-regularised alignment on a small token world: PPO, DPO or IPO against the exact posterior");
  auto& f = *args;
  cmd->add_option("--method", f.method, "ppo, dpo or ipo")->capture_default_str();
  cmd->add_option("--beta", f.o.beta, "KL weight beta > 0 (E[R] - beta KL(pi || pi_ref))")->capture_default_str();
  cmd->add_option("--steps", f.o.steps, "optimiser iterations")->capture_default_str();
  cmd->add_option("--lr", f.o.learning_rate, "Adam step size")->capture_default_str();
  cmd->add_option("--seed", f.o.seed, "seed of rollouts and preference data")->capture_default_str();
  cmd->add_option("--pairs", f.o.pairs_per_prompt, "DPO/IPO: preference pairs per prompt (0 = population loss)")
      ->capture_default_str();
  cmd->add_option("--sampler", f.sampler, "DPO/IPO: pairs drawn from reference or uniform")->capture_default_str();
  cmd->add_option("--samples", f.o.samples_per_prompt, "PPO: responses per prompt per rollout (0 = exact)")
      ->capture_default_str();
  cmd->add_option("--epochs", f.o.epochs, "PPO: Adam steps per rollout")->capture_default_str();
  cmd->add_option("--clip", f.o.clip, "PPO: ratio clip epsilon")->capture_default_str();
  cmd->add_option("--prompts", f.problem.world.num_prompts, "number of prompts")->capture_default_str();
  cmd->add_option("--vocab", f.problem.world.vocab_size, "vocabulary size, end token included")->capture_default_str();
  cmd->add_option("--max-length", f.problem.world.max_length, "maximum response length")->capture_default_str();
  cmd->add_option("--reward", f.problem.reward, "length, count or random")->capture_default_str();
  cmd->add_option("--corpus", f.problem.corpus_per_prompt, "pretraining corpus size per prompt")->capture_default_str();
  cmd->add_option("--smoothing", f.problem.smoothing, "add-smoothing of the pretrained reference")->capture_default_str();
  cmd->add_option("--problem-seed", f.problem.seed, "seed of the teacher, corpus and random reward")->capture_default_str();
  cmd->add_option("--reward-model", f.problem.reward_model_pairs,
                  "RLHF: fit a Bradley-Terry reward model to N preference pairs per prompt (from pi_ref, "
                  "labelled by the true reward) and optimise it instead (0 = the true reward)")
      ->capture_default_str();
  cmd->add_option("--out", f.out, "run directory (config.json, metrics.csv/.jsonl, TensorBoard events, checkpoint.safetensors, "
                                 "policy.safetensors, policy.json, summary.json)");
  cmd->add_option("--resume", f.resume, "continue the run in this directory from its checkpoint");
  cmd->add_option("--checkpoint-every", f.checkpoint_every, "checkpoint every N steps (0 = only at the end)")
      ->capture_default_str();
  cmd->add_option("--log-every", f.log_every, "metrics row every N steps")->capture_default_str();
  cmd->add_option("--frontier", f.frontier, "comma-separated betas: reward-vs-KL frontier of ppo and dpo "
                                            "(frontier.csv and frontier.svg in --out)");
  cmd->add_option("--policy", f.policy, "tabular, or mlp (next-token logits from an MLP; dpo/ipo only, "
                                        "without --out, --resume and --frontier)")->capture_default_str();
  cmd->add_option("--hidden", f.hidden, "--policy mlp: hidden layer sizes (tanh)")->capture_default_str();
  cmd->add_flag("--json", f.json, "print the final metrics as one JSON object");
  cmd->callback([args, cmd]() {
    AlignArgs& a = *args;
    if (!a.resume.empty()) {
      for (const char* flag : kRunFlags) {
        if (cmd->count(flag) > 0) throw Error(fmt::format("{}: not allowed with --resume (the run's config.json fixes it)", flag));
      }
      if (!a.out.empty()) throw Error("--out: not allowed with --resume");
      const nlohmann::json config = run::ReadRunConfig(a.resume);
      align::AlignRunConfigFromJson(config, a.problem, a.o);
      const run::RunOptions stored = run::RunOptionsFromJson(config.value("run", nlohmann::json::object()), a.resume);
      a.checkpoint_every = static_cast<int>(stored.checkpoint_interval);
      a.log_every = static_cast<int>(stored.log_interval);
    } else {
      a.o.method = align::ParseAlignMethod(a.method);
      a.o.sampler = align::ParsePairSampler(a.sampler);
    }
    align::ValidateAlignProblemOptions(a.problem);
    align::ValidateAlignOptions(a.o);
    if (a.checkpoint_every < 0) throw Error(fmt::format("--checkpoint-every: {} (expected >= 0)", a.checkpoint_every));
    if (a.log_every < 1) throw Error(fmt::format("--log-every: {} (expected >= 1)", a.log_every));
    if (a.policy != "tabular" && a.policy != "mlp") {
      throw Error(fmt::format("--policy: \"{}\" is unknown (expected tabular or mlp)", a.policy));
    }
    align::MlpPolicyOptions mlp_options;
    if (a.policy == "mlp") {
      if (!a.out.empty() || !a.resume.empty() || !a.frontier.empty()) {
        throw Error("--policy: mlp is not available with --out, --resume or --frontier (expected tabular)");
      }
      if (a.o.method == align::AlignMethod::kPpo) {
        throw Error("--policy: mlp is available with --method dpo or ipo (got ppo)");
      }
      mlp_options.hidden = nn::ParseLayerSizes(a.hidden, "--hidden");
    }
    const align::AlignProblem problem = align::MakeAlignProblem(a.problem);
    if (!a.frontier.empty()) {
      RunFrontier(a, problem);
      return;
    }
    AlignMetrics m;
    if (!a.resume.empty()) {
      m = RunInDirectory(a, problem, a.resume, true);
    } else if (!a.out.empty()) {
      m = RunInDirectory(a, problem, a.out, false);
    } else if (a.policy == "mlp") {
      align::MlpPreferenceTrainer trainer(problem, a.o, mlp_options);
      m = trainer.Evaluate();
      for (int i = 0; i < a.o.steps; ++i) m = trainer.Step();
    } else {
      align::AlignTrainer trainer(problem, a.o);
      m = trainer.Evaluate();
      for (int i = 0; i < a.o.steps; ++i) m = trainer.Step();
    }
    if (a.json) {
      nlohmann::json j = {{"method", align::AlignMethodName(a.o.method)}, {"policy", a.policy}, {"beta", a.o.beta}};
      j.update(MetricsJson(problem, m));
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s beta %g: %d steps, loss %.6f, E[R] %.6f, KL(pi || pi_ref) %.6f, KL(pi || %s) %.3g\n",
                  align::AlignMethodName(a.o.method).c_str(), a.o.beta, m.step, m.loss, m.reward, m.kl_reference,
                  a.o.method == align::AlignMethod::kIpo ? "IPO optimum" : "pi*", m.kl_target);
      if (a.problem.reward_model_pairs > 0) {
        std::printf("reward model (%d pairs per prompt): centred RMS error %.4g; true E[R] %.6f, KL(pi || true pi*) %.3g\n",
                    a.problem.reward_model_pairs, problem.reward_model_error, m.true_reward, m.kl_true_target);
      }
    }
  });
}

}  // namespace cai::cli
