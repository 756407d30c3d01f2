// cai examples: the lesson's worked examples, each number computed two ways.
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/inference/finite_horizon.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/mdp/builtins.h"
#include "cai/vi/latent_model.h"
#include "cai/vi/variational_gaussian.h"
#include "commands.h"

namespace cai::cli {
namespace {

struct ExampleRow {
  std::string example;
  std::optional<double> temperature;  // none for the ELBO examples
  std::string quantity;
  double closed_form;
  double solver;
  std::optional<double> lesson;  // the lesson's printed value, where it prints one
  int lesson_decimals = 4;
};

// Closed forms for a one-state bandit, written out directly (no shared code with the solver).
double BanditValue(const std::vector<double>& r, double alpha) {
  double z = 0.0;
  for (double x : r) z += std::exp(x / alpha);
  return alpha * std::log(z);
}
double BanditPolicy(const std::vector<double>& r, double alpha, std::size_t a) {
  double z = 0.0;
  for (double x : r) z += std::exp(x / alpha);
  return std::exp(r[a] / alpha) / z;
}

void AddBandit(std::vector<ExampleRow>& rows, const std::string& name, const std::vector<double>& r,
               double alpha, std::optional<double> lesson_v,
               const std::vector<std::optional<double>>& lesson_pi, int decimals) {
  const Mdp mdp = MakeBandit(r);
  FiniteHorizonOptions o;
  o.temperature = alpha;
  o.horizon = 1;
  const FiniteHorizonSolution sol = SolveFiniteHorizon(mdp, o);
  rows.push_back({name, alpha, "V", BanditValue(r, alpha), sol.V(0, 0), lesson_v, decimals});
  for (std::size_t a = 0; a < r.size(); ++a) {
    rows.push_back({name, alpha, fmt::format("pi(a{})", a + 1), BanditPolicy(r, alpha, a),
                    sol.Pi(0, 0, static_cast<int>(a)),
                    a < lesson_pi.size() ? lesson_pi[a] : std::nullopt, decimals});
  }
}

void AddGamble(std::vector<ExampleRow>& rows) {
  // start --safe--> sure (r = 0); start --gamble--> win (r = 10, p = 0.1) or lose (r = -10).
  // Outcome states have two terminal actions, so V(outcome) = r + alpha log 2 (counting measure).
  const double alpha = 1.0;
  const double p = 0.1;
  const double v_sure = 0.0 + alpha * std::log(2.0);
  const double v_win = 10.0 + alpha * std::log(2.0);
  const double v_lose = -10.0 + alpha * std::log(2.0);
  const Mdp mdp = MakeGamble({});
  for (Backup backup : {Backup::kVariational, Backup::kExact}) {
    const double q_gamble = backup == Backup::kVariational
                                ? p * v_win + (1 - p) * v_lose
                                : alpha * std::log(p * std::exp(v_win / alpha) +
                                                   (1 - p) * std::exp(v_lose / alpha));
    const double q_safe = v_sure;
    const double pi_gamble = std::exp(q_gamble / alpha) /
                             (std::exp(q_gamble / alpha) + std::exp(q_safe / alpha));
    FiniteHorizonOptions o;
    o.temperature = alpha;
    o.horizon = 2;
    o.backup = backup;
    const FiniteHorizonSolution sol = SolveFiniteHorizon(mdp, o);
    const std::string name = "gamble, " + BackupName(backup) + " backup";
    rows.push_back({name, alpha, "Q(start,gamble)", q_gamble, sol.Q(0, 0, 1), std::nullopt, 4});
    rows.push_back({name, alpha, "pi(gamble)", pi_gamble, sol.Pi(0, 0, 1), std::nullopt, 4});
  }
}

// The VI lesson's linear-Gaussian examples: z ~ N(m0, v0), x | z ~ N(z, s2), q = N(mq, vq).
// 'closed form' writes the scalar formulas out here; 'solver' is the vi module (multivariate code,
// Cholesky factors, the closed-form ELBO of a VariationalGaussian).
void AddElbo(std::vector<ExampleRow>& rows, const std::string& name, double m0, double v0,
             double s2, double x, double mq, double vq,
             const std::vector<std::pair<std::string, std::optional<double>>>& lesson) {
  constexpr double kPi = 3.14159265358979323846;
  const double expected = -0.5 * std::log(2 * kPi * s2) - ((x - mq) * (x - mq) + vq) / (2 * s2);
  auto kl = [](double ma, double va, double mb, double vb) {
    return 0.5 * (std::log(vb / va) + (va + (ma - mb) * (ma - mb)) / vb - 1.0);
  };
  const double kl_prior = kl(mq, vq, m0, v0);
  const double log_evidence =
      -0.5 * std::log(2 * kPi * (v0 + s2)) - (x - m0) * (x - m0) / (2 * (v0 + s2));
  const double post_var = 1.0 / (1.0 / v0 + 1.0 / s2);
  const double post_mean = post_var * (m0 / v0 + x / s2);
  const double elbo = expected - kl_prior;

  const ObservedLinearGaussian model(LinearGaussianModel::Scalar(m0, v0, s2),
                                     Eigen::VectorXd::Constant(1, x));
  const VariationalGaussian q(GaussianFamily::kDiagonal, Eigen::VectorXd::Constant(1, mq),
                              Eigen::VectorXd::Constant(1, 0.5 * std::log(vq)));
  const MultivariateGaussian post = model.Posterior();
  const double solver_expected = model.ExpectedLogLikelihood(q, nullptr);
  const double solver_kl_prior = q.KlTo(model.prior());
  const double solver_elbo = solver_expected - solver_kl_prior;
  const double solver_evidence = model.LogEvidence();
  const std::vector<std::tuple<std::string, double, double>> values = {
      {"E_q[log p(x|z)]", expected, solver_expected},
      {"KL(q||p(z))", kl_prior, solver_kl_prior},
      {"ELBO", elbo, solver_elbo},
      {"log p(x)", log_evidence, solver_evidence},
      {"posterior mean", post_mean, post.mean()[0]},
      {"posterior var", post_var, post.covariance()(0, 0)},
      {"gap=logp(x)-ELBO", log_evidence - elbo, solver_evidence - solver_elbo},
      {"KL(q||p(z|x))", kl(mq, vq, post_mean, post_var), KlDivergence(q.ToGaussian(), post)},
  };
  for (const auto& [quantity, closed, solver] : values) {
    std::optional<double> printed;
    for (const auto& [k, v] : lesson) {
      if (k == quantity) printed = v;
    }
    rows.push_back({name, std::nullopt, quantity, closed, solver, printed, 3});
  }
}

void Run(bool json) {
  std::vector<ExampleRow> rows;
  const std::vector<double> two = {1.0, 0.0};
  AddBandit(rows, "two-action r=(1,0)", two, 1.0, 1.3133, {0.7311, 0.2689}, 4);
  AddBandit(rows, "two-action r=(1,0)", two, 0.01, std::nullopt, {1.0, 0.0}, 4);
  AddBandit(rows, "two-action r=(1,0)", two, 100.0, std::nullopt, {0.5, 0.5}, 2);
  const std::vector<double> three = {2.0, 1.0, 0.0};
  AddBandit(rows, "three-action r=(2,1,0)", three, 0.01, std::nullopt, {1.0, 0.0, 0.0}, 3);
  AddBandit(rows, "three-action r=(2,1,0)", three, 0.5, std::nullopt, {0.866, 0.117, 0.016}, 3);
  AddBandit(rows, "three-action r=(2,1,0)", three, 1.0, 2.408, {0.665, 0.245, 0.090}, 3);
  AddBandit(rows, "three-action r=(2,1,0)", three, 5.0, std::nullopt, {0.402, 0.329, 0.269}, 3);
  AddBandit(rows, "three-action r=(2,1,0)", three, 100.0, std::nullopt, {0.333, 0.333, 0.333}, 2);
  AddGamble(rows);
  AddElbo(rows, "ELBO: p(z)=N(0,1), x|z~N(z,1), x=1, q=N(0.3,1)", 0.0, 1.0, 1.0, 1.0, 0.3, 1.0,
          {{"ELBO", -1.709}, {"posterior mean", 0.5}, {"posterior var", 0.5},
           {"gap=logp(x)-ELBO", 0.193}, {"KL(q||p(z|x))", 0.193}});
  AddElbo(rows, "ELBO: p(z)=N(0,4), x|z~N(z,1), x=2, q=N(1.0,1.5)", 0.0, 4.0, 1.0, 2.0, 1.0, 1.5,
          {{"E_q[log p(x|z)]", -2.169}, {"KL(q||p(z))", 0.303}, {"ELBO", -2.472},
           {"posterior mean", 1.6}, {"posterior var", 0.8}, {"gap=logp(x)-ELBO", 0.348},
           {"KL(q||p(z|x))", 0.348}});

  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
      nlohmann::json o = {{"example", r.example},   {"quantity", r.quantity},
                          {"closed_form", r.closed_form}, {"solver", r.solver},
                          {"difference", r.solver - r.closed_form}};
      if (r.temperature) o["temperature"] = *r.temperature;
      if (r.lesson) o["lesson"] = *r.lesson;
      out.push_back(std::move(o));
    }
    std::cout << out.dump(1) << "\n";
    return;
  }
  std::cout << "The lesson's worked examples. 'closed form' is the formula written out; 'solver' is\n"
               "the finite-horizon soft Bellman solver (control as inference) or the vi module\n"
               "(ELBO examples); 'lesson' is the value the lesson prints, compared at the\n"
               "lesson's precision.\n";
  std::string current;
  for (const auto& r : rows) {
    if (r.example != current) {
      current = r.example;
      std::cout << fmt::format("\n{}\n{:>8} {:>16} {:>14} {:>14} {:>10}  {}\n", current, "alpha",
                               "quantity", "closed form", "solver", "|diff|", "lesson");
    }
    std::string lesson;
    if (r.lesson) {
      const double scale = std::pow(10.0, r.lesson_decimals);
      const bool agrees = std::abs(r.solver - *r.lesson) <= 0.5 / scale + 1e-12;
      lesson = fmt::format("{:.{}f} {}", *r.lesson, r.lesson_decimals,
                           agrees ? "agrees" : fmt::format("(solver rounds to {:.{}f})", r.solver,
                                                            r.lesson_decimals));
    }
    std::cout << fmt::format("{:>8} {:>16} {:>14.10f} {:>14.10f} {:>10.1e}  {}\n",
                             r.temperature ? fmt::format("{:g}", *r.temperature) : "-",
                             r.quantity, r.closed_form, r.solver,
                             std::abs(r.solver - r.closed_form), lesson);
  }
  std::cout << "\nThe gamble: 'safe' is worth 0 (+ alpha log 2 of action entropy later); 'gamble' wins 10\n"
               "with probability 0.1 and loses 10 otherwise. The variational backup weighs the\n"
               "outcomes by their probability and avoids it; the exact backup's log E exp is\n"
               "optimistic and takes it. See docs/exact-vs-variational.md.\n"
               "\nThe ELBO examples: the gap log p(x) - ELBO equals KL(q || p(z|x)) both ways; see\n"
               "docs/variational-inference.md.\n";
}

}  // namespace

void AddExamplesCommand(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("examples", "the lesson's worked examples, computed two ways");
  cmd->add_flag("--json", *json, "print a JSON array of rows");
  cmd->callback([json]() { Run(*json); });
}

}  // namespace cai::cli
