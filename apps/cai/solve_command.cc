// cai solve: exact soft inference on a tabular MDP.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/inference/finite_horizon.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/io/gridworld_svg.h"
#include "cai/mdp/action_prior.h"
#include "cai/mdp/mdp_json.h"
#include "commands.h"
#include "problem_flags.h"

namespace cai::cli {
namespace {

struct SolveArgs {
  ProblemSource source;
  double temperature = 0.0;
  HorizonOrDiscount h;
  std::string backup = "variational";
  std::string prior = "none";
  double tolerance = 1e-10;
  int max_iterations = 100000;
  bool json = false;
  std::string svg;
  int max_rows = 30;
  int threads = 1;
};

// Fixed-point for ordinary magnitudes, scientific beyond (huge temperatures give huge values).
std::string Number(double x, int width) {
  return std::abs(x) < 1e7 ? fmt::format("{:>{}.6f}", x, width) : fmt::format("{:>{}.6e}", x, width);
}

std::string Row(const Mdp& mdp, int s, double v, std::span<const double> q,
                std::span<const double> pi) {
  std::string line = fmt::format("{:>12} {} ", mdp.StateName(s), Number(v, 13));
  for (double x : q) {
    line += ' ';  // (not " " + Number(...): GCC 12 -O3 reports a false -Wrestrict there)
    line += Number(x, 13);
  }
  line += "  ";
  for (double x : pi) line += fmt::format(" {:>10.4f}", x);
  return line;
}

std::string Header(const Mdp& mdp) {
  std::string line = fmt::format("{:>12} {:>13} ", "state", "V");
  for (int a = 0; a < mdp.num_actions(); ++a) {
    line += fmt::format(" {:>13}", "Q:" + mdp.ActionName(a).substr(0, 11));
  }
  line += "  ";
  for (int a = 0; a < mdp.num_actions(); ++a) {
    line += fmt::format(" {:>10}", "pi:" + mdp.ActionName(a).substr(0, 7));
  }
  return line;
}

void PrintTable(const Mdp& mdp, std::span<const double> v, std::span<const double> q,
                std::span<const double> pi, int max_rows) {
  const auto na = static_cast<std::size_t>(mdp.num_actions());
  std::cout << Header(mdp) << "\n";
  const int shown = std::min(mdp.num_states(), max_rows);
  for (int s = 0; s < shown; ++s) {
    const auto off = static_cast<std::size_t>(s) * na;
    std::cout << Row(mdp, s, v[static_cast<std::size_t>(s)], q.subspan(off, na),
                     pi.subspan(off, na))
              << "\n";
  }
  if (shown < mdp.num_states()) {
    std::cout << fmt::format("  ... {} more states (use --json for all, or --rows N)\n",
                             mdp.num_states() - shown);
  }
}

nlohmann::json Matrix(std::span<const double> x, std::size_t cols) {
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t i = 0; i < x.size(); i += cols) {
    rows.push_back(std::vector<double>(x.begin() + static_cast<std::ptrdiff_t>(i),
                                       x.begin() + static_cast<std::ptrdiff_t>(i + cols)));
  }
  return rows;
}

void Run(const SolveArgs& args) {
  const Mdp mdp = args.source.Load();
  const auto na = static_cast<std::size_t>(mdp.num_actions());
  const auto ns = static_cast<std::size_t>(mdp.num_states());
  SoftBellmanParams params;
  params.temperature = args.temperature;
  params.backup = ParseBackup(args.backup);
  params.prior = ParseActionPrior(args.prior);
  params.threads = args.threads;
  const std::string problem = args.source.mdp_file.empty() ? args.source.builtin
                                                           : args.source.mdp_file;
  nlohmann::json out;
  std::span<const double> v0, pi0;
  std::string title;
  if (args.h.finite()) {
    FiniteHorizonOptions o;
    static_cast<SoftBellmanParams&>(o) = params;
    o.discount = 1.0;
    o.horizon = args.h.horizon;
    const FiniteHorizonSolution sol = SolveFiniteHorizon(mdp, o);
    v0 = sol.ValuesAt(0);
    pi0 = sol.PolicyAt(0);
    title = fmt::format("{}: horizon {}, temperature {}, {} backup, t = 0", problem, args.h.horizon,
                        args.temperature, args.backup);
    if (args.json) {
      out["V"] = Matrix(sol.values, ns);
      nlohmann::json q = nlohmann::json::array(), pi = nlohmann::json::array();
      for (int t = 0; t < sol.horizon; ++t) {
        q.push_back(Matrix(sol.QAt(t), na));
        pi.push_back(Matrix(sol.PolicyAt(t), na));
      }
      out["Q"] = std::move(q);
      out["policy"] = std::move(pi);
      out["converged"] = sol.summary.converged;
      out["termination"] = TerminationTypeName(sol.summary.termination);
      out["iterations"] = sol.summary.iterations;
      out["residual"] = sol.summary.final_residual;
      out["horizon"] = sol.horizon;
    } else {
      std::cout << fmt::format(
          "{}: {} states, {} actions; horizon {}, temperature {}, backup {}, prior {}\n", problem,
          mdp.num_states(), mdp.num_actions(), args.h.horizon, args.temperature, args.backup,
          params.prior.Describe());
      const int steps_shown = mdp.num_states() * args.h.horizon <= 120 ? args.h.horizon : 1;
      for (int t = 0; t < steps_shown; ++t) {
        std::cout << fmt::format("\nt = {}\n", t);
        PrintTable(mdp, sol.ValuesAt(t), sol.QAt(t), sol.PolicyAt(t), args.max_rows);
      }
      if (steps_shown < args.h.horizon) {
        std::cout << fmt::format("  (t = 1..{} not shown; use --json)\n", args.h.horizon - 1);
      }
    }
    if (!args.svg.empty()) WriteFileAtomically(args.svg, GridworldSvg(mdp, v0, pi0, title));
    if (args.json) std::cout << out.dump() << "\n";
    return;
  }

  SoftValueIterationOptions o;
  static_cast<SoftBellmanParams&>(o) = params;
  o.discount = args.h.discount;
  o.tolerance = args.tolerance;
  o.max_iterations = args.max_iterations;
  const auto [sol, summary] = SolveSoftValueIteration(mdp, o);
  title = fmt::format("{}: temperature {}, discount {}, {} backup", problem, args.temperature,
                      args.h.discount, args.backup);
  if (!args.svg.empty()) {
    WriteFileAtomically(args.svg, GridworldSvg(mdp, sol.values, sol.policy, title));
  }
  if (args.json) {
    out["V"] = sol.values;
    out["Q"] = Matrix(sol.q_values, na);
    out["policy"] = Matrix(sol.policy, na);
    out["converged"] = summary.converged;
    out["termination"] = TerminationTypeName(summary.termination);
    out["iterations"] = summary.iterations;
    out["residual"] = summary.final_residual;
    out["error_bound"] = summary.error_bound;
    out["message"] = summary.message;
    std::cout << out.dump() << "\n";
  } else {
    std::cout << fmt::format(
        "{}: {} states, {} actions; temperature {}, discount {}, backup {}, prior {}\n", problem,
        mdp.num_states(), mdp.num_actions(), args.temperature, args.h.discount, args.backup,
        params.prior.Describe());
    std::cout << summary.BriefReport() << "\n\n";
    PrintTable(mdp, sol.values, sol.q_values, sol.policy, args.max_rows);
    if (!args.svg.empty()) std::cout << fmt::format("\nwrote {}\n", args.svg);
  }
  if (!summary.converged) {
    std::fprintf(stderr, "cai: warning: %s\n", summary.BriefReport().c_str());
    ExitStatus() = 1;
  }
}

}  // namespace

void AddSolveCommand(CLI::App& app) {
  auto args = std::make_shared<SolveArgs>();
  CLI::App* cmd = app.add_subcommand(
      "solve", "exact soft inference: soft value iteration (discounted) or the backward recursion "
               "(finite horizon)");
  args->source.AddFlags(*cmd);
  cmd->add_option("--temperature", args->temperature, "alpha >= 0 (0 = hard Bellman)")->required();
  args->h.AddFlags(*cmd, "gamma in [0, 1] (infinite horizon)", "number of decisions T >= 1");
  cmd->add_option("--backup", args->backup, "variational (default) or exact");
  cmd->add_option("--prior", args->prior, "action prior: none (default), uniform or a cai.prior/1 file");
  cmd->add_option("--tolerance", args->tolerance, "bound on the distance to the fixed point (1e-10)");
  cmd->add_option("--max-iterations", args->max_iterations, "sweep limit (100000)");
  cmd->add_option("--threads", args->threads, "threads per sweep on large problems, 1-1024 (1)");
  cmd->add_option("--rows", args->max_rows, "states shown in tables (30)");
  cmd->add_flag("--json", args->json, "print one JSON object instead of tables");
  cmd->add_option("--svg", args->svg, "draw a gridworld's values and policy to this SVG file");
  cmd->callback([args]() {
    args->h.Check("solve: give --discount G (infinite horizon) or --horizon T (finite horizon)");
    if (args->max_rows < 0) throw Error(fmt::format("--rows: {} is negative", args->max_rows));
    Run(*args);
  });
}

}  // namespace cai::cli
