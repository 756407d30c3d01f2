// Tabular MDPs (module mdp) and exact inference (module inference): NumPy arrays in and out.
#include <map>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "bindings.h"
#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/core/solver_summary.h"
#include "cai/inference/enumeration.h"
#include "cai/inference/finite_horizon.h"
#include "cai/inference/forward_messages.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/inference/trajectory_sampling.h"
#include "cai/mdp/action_prior.h"
#include "cai/mdp/builtins.h"
#include "cai/mdp/mdp.h"
#include "cai/mdp/mdp_json.h"

namespace cai::python {
namespace {

// prior: None / "none" (counting measure), "uniform", or an (S, A) array of p(a|s).
ActionPrior PriorFrom(const py::object& prior, const Mdp& mdp) {
  if (prior.is_none()) return ActionPrior::None();
  if (py::isinstance<py::str>(prior)) {
    const std::string name = prior.cast<std::string>();
    if (auto named = NamedActionPrior(name)) return *std::move(named);
    throw Error(fmt::format("prior: \"{}\" is invalid (expected None, \"none\", \"uniform\" or an (S, A) array)", name));
  }
  return ActionPrior::Table(mdp.num_states(), mdp.num_actions(),
                            DoublesFrom(prior, "prior", {mdp.num_states(), mdp.num_actions()}));
}

template <typename Options>
void SetBellman(Options& o, const Mdp& mdp, double temperature, double discount, const std::string& backup,
                const py::object& prior, int threads) {
  o.temperature = temperature;
  o.discount = discount;
  o.backup = ParseBackup(backup);
  o.prior = PriorFrom(prior, mdp);
  o.threads = threads;
}

std::map<std::string, std::string> ParamsFrom(const py::dict& params) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : params) {
    const std::string key = py::str(k);
    if (py::isinstance<py::bool_>(v)) {
      out[key] = v.cast<bool>() ? "true" : "false";
    } else if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
      // Lists (bandit rewards, goal cells) are written as on the command line: comma-separated.
      std::string joined;
      for (const auto& item : v) {
        if (!joined.empty()) joined.push_back(',');
        joined.append(py::str(item).cast<std::string>());
      }
      out[key] = joined;
    } else {
      out[key] = py::str(v);
    }
  }
  return out;
}

// (S, A, S) dense transition probabilities; all-zero rows end the episode.
Mdp MdpFromArrays(const py::object& rewards, const py::object& transitions, const py::object& initial,
                  const py::object& state_names, const py::object& action_names) {
  const std::vector<py::ssize_t> shape = ShapeOf(rewards);
  if (shape.size() != 2) throw Error(fmt::format("rewards: expected an (S, A) array, got {} dimensions", shape.size()));
  MdpSpec spec;
  spec.num_states = static_cast<int>(shape[0]);
  spec.num_actions = static_cast<int>(shape[1]);
  const std::vector<double> r = DoublesFrom(rewards, "rewards", {shape[0], shape[1]});
  const std::vector<double> p = DoublesFrom(transitions, "transitions", {shape[0], shape[1], shape[0]});
  const std::size_t S = static_cast<std::size_t>(spec.num_states), A = static_cast<std::size_t>(spec.num_actions);
  spec.rewards.assign(S, std::vector<double>(A));
  for (std::size_t s = 0; s < S; ++s) {
    for (std::size_t a = 0; a < A; ++a) {
      spec.rewards[s][a] = r[s * A + a];
      TransitionSpec t{static_cast<int>(s), static_cast<int>(a), {}};
      for (std::size_t n = 0; n < S; ++n) {
        const double q = p[(s * A + a) * S + n];
        if (q != 0.0) t.next.emplace_back(static_cast<int>(n), q);  // negatives reach the validator
      }
      if (!t.next.empty()) spec.transitions.push_back(std::move(t));
    }
  }
  if (!initial.is_none()) {
    const std::vector<double> d = DoublesFrom(initial, "initial", {shape[0]});
    for (std::size_t s = 0; s < S; ++s) {
      if (d[s] != 0.0) spec.initial.emplace_back(static_cast<int>(s), d[s]);
    }
    if (spec.initial.empty()) throw Error("initial: all probabilities are 0 (expected a distribution over states)");
  }
  if (!state_names.is_none()) spec.state_names = state_names.cast<std::vector<std::string>>();
  if (!action_names.is_none()) spec.action_names = action_names.cast<std::vector<std::string>>();
  return Mdp::FromSpec(spec);
}

py::array_t<double> TransitionTensor(const Mdp& mdp) {
  const py::ssize_t S = mdp.num_states(), A = mdp.num_actions();
  if (static_cast<double>(S) * S * A > 2e8) {
    throw Error(fmt::format("transition_matrix: {} x {} x {} is too large for a dense array (use the sparse arrays)", S, A, S));
  }
  py::array_t<double> out({S, A, S});
  double* d = out.mutable_data();
  std::fill(d, d + S * A * S, 0.0);
  for (int s = 0; s < S; ++s) {
    for (int a = 0; a < A; ++a) {
      const auto next = mdp.NextStates(s, a);
      const auto prob = mdp.NextProbabilities(s, a);
      for (std::size_t k = 0; k < next.size(); ++k) d[(s * A + a) * S + next[k]] += prob[k];
    }
  }
  return out;
}

py::array_t<bool> TerminalMask(const Mdp& mdp) {
  py::array_t<bool> out({mdp.num_states(), mdp.num_actions()});
  bool* d = out.mutable_data();
  for (int s = 0; s < mdp.num_states(); ++s) {
    for (int a = 0; a < mdp.num_actions(); ++a) d[s * mdp.num_actions() + a] = mdp.IsTerminal(s, a);
  }
  return out;
}

}  // namespace

CAI_PYTHON_BINDINGS(10, tabular) {
  py::class_<Mdp>(m, "Mdp", "An immutable, validated tabular MDP (sparse stochastic transitions).")
      .def_static("builtin", [](const std::string& name, const py::dict& params) { return MakeBuiltin(name, ParamsFrom(params)); },
                  py::arg("name"), py::arg("params") = py::dict(),
                  "A built-in problem by name (see builtin_names()), parameters as on `cai solve --param`.")
      .def_static("from_arrays", &MdpFromArrays, py::arg("rewards"), py::arg("transitions"),
                  py::arg("initial") = py::none(), py::arg("state_names") = py::none(),
                  py::arg("action_names") = py::none(),
                  "rewards (S, A); transitions (S, A, S) with rows summing to 1, or all zero where "
                  "the episode ends after the action; initial (S,) or None for state 0.")
      .def_static("from_json", [](const std::string& text) { return MdpFromJson(nlohmann::json::parse(text)); },
                  py::arg("text"), "Parses a cai.mdp/1 document.")
      .def_static("load", &LoadMdp, py::arg("path"), "Reads a cai.mdp/1 file.")
      .def("save", [](const Mdp& mdp, const std::string& path) { SaveMdp(mdp, path); }, py::arg("path"),
           "Writes a cai.mdp/1 file atomically.")
      .def("to_json", [](const Mdp& mdp) { return MdpToJson(mdp).dump(); }, "The cai.mdp/1 document.")
      .def_property_readonly("num_states", &Mdp::num_states)
      .def_property_readonly("num_actions", &Mdp::num_actions)
      .def_property_readonly("num_transitions", &Mdp::num_transitions)
      .def_property_readonly("rewards", [](const Mdp& mdp) {
        return ToArray(mdp.rewards(), {mdp.num_states(), mdp.num_actions()});
      }, "r(s, a), shape (S, A).")
      .def_property_readonly("initial", [](const Mdp& mdp) {
        return ToArray(mdp.initial_distribution(), {mdp.num_states()});
      }, "The initial state distribution, shape (S,).")
      .def_property_readonly("terminal", &TerminalMask, "(S, A) booleans: the episode ends after the action.")
      .def("transition_matrix", &TransitionTensor, "p(s'|s, a) as a dense (S, A, S) array.")
      .def_property_readonly("state_names", [](const Mdp& mdp) {
        std::vector<std::string> n;
        for (int s = 0; s < mdp.num_states(); ++s) n.push_back(mdp.StateName(s));
        return n;
      })
      .def_property_readonly("action_names", [](const Mdp& mdp) {
        std::vector<std::string> n;
        for (int a = 0; a < mdp.num_actions(); ++a) n.push_back(mdp.ActionName(a));
        return n;
      })
      .def_property_readonly("grid_shape", [](const Mdp& mdp) -> py::object {
        if (!mdp.grid()) return py::none();
        return py::make_tuple(mdp.grid()->height, mdp.grid()->width);
      }, "(height, width) for gridworlds (state = y * width + x), else None.")
      .def("__repr__", [](const Mdp& mdp) {
        return fmt::format("<cai.Mdp: {} states, {} actions, {} transitions>", mdp.num_states(), mdp.num_actions(),
                           mdp.num_transitions());
      });
  m.def("builtin_names", &BuiltinNames, "Names accepted by Mdp.builtin.");
  m.def("describe_builtins", &DescribeBuiltins, "One line per built-in: name, parameters and defaults.");

  py::class_<SolverSummary>(m, "SolverSummary",
                            "What an iterative solver reports: how it stopped, iterations, final residual, error bound, "
                            "message.")
      .def_property_readonly("termination", [](const SolverSummary& s) { return TerminationTypeName(s.termination); },
                             "\"converged\", \"no convergence\", \"budget reached\" or \"failure\".")
      .def_readonly("converged", &SolverSummary::converged,
                    "True when the solver finished normally (converged or ran its fixed budget).")
      .def_readonly("iterations", &SolverSummary::iterations)
      .def_readonly("final_residual", &SolverSummary::final_residual, "NaN when the solver has none.")
      .def_readonly("error_bound", &SolverSummary::error_bound, "NaN when the solver has none.")
      .def_readonly("message", &SolverSummary::message)
      .def("brief_report", &SolverSummary::BriefReport, "One line: message, termination, iterations, residual, bound.")
      .def("__repr__", [](const SolverSummary& s) { return "<cai.SolverSummary: " + s.BriefReport() + ">"; });

  py::class_<SoftValueIterationResult>(m, "SoftSolution", "Result of soft_value_iteration.")
      .def_property_readonly("V", [](const SoftValueIterationResult& r) {
        return ToArray(std::span<const double>(r.solution.values), {r.solution.num_states});
      }, "V(s), shape (S,).")
      .def_property_readonly("Q", [](const SoftValueIterationResult& r) {
        return ToArray(std::span<const double>(r.solution.q_values), {r.solution.num_states, r.solution.num_actions});
      }, "Q(s, a), shape (S, A).")
      .def_property_readonly("policy", [](const SoftValueIterationResult& r) {
        return ToArray(std::span<const double>(r.solution.policy), {r.solution.num_states, r.solution.num_actions});
      }, "pi(a|s), shape (S, A).")
      .def_property_readonly("converged", [](const SoftValueIterationResult& r) { return r.summary.converged; })
      .def_property_readonly("iterations", [](const SoftValueIterationResult& r) { return r.summary.iterations; })
      .def_property_readonly("residual", [](const SoftValueIterationResult& r) { return r.summary.final_residual; })
      .def_property_readonly("error_bound", [](const SoftValueIterationResult& r) { return r.summary.error_bound; })
      .def_property_readonly("message", [](const SoftValueIterationResult& r) { return r.summary.message; })
      .def_readonly("summary", &SoftValueIterationResult::summary, "The SolverSummary.");

  m.def("soft_value_iteration",
        [](const Mdp& mdp, double temperature, double discount, const std::string& backup, const py::object& prior,
           double tolerance, int max_iterations, int threads) {
          SoftValueIterationOptions o;
          SetBellman(o, mdp, temperature, discount, backup, prior, threads);
          o.tolerance = tolerance;
          o.max_iterations = max_iterations;
          py::gil_scoped_release release;
          return SolveSoftValueIteration(mdp, o);
        },
        py::arg("mdp"), py::arg("temperature"), py::arg("discount"), py::arg("backup") = "variational",
        py::arg("prior") = py::none(), py::arg("tolerance") = 1e-10, py::arg("max_iterations") = 100000,
        py::arg("threads") = 1,
        "Discounted soft value iteration. backup: \"variational\" (Q = r + gamma E V') or \"exact\" "
        "(Q = r + alpha log E exp(gamma V' / alpha), optimistic); prior: None (counting measure), "
        "\"uniform\" or an (S, A) table; temperature 0 is the hard Bellman backup.");

  py::class_<FiniteHorizonSolution>(m, "FiniteHorizonSolution", "Result of solve_finite_horizon.")
      .def_readonly("horizon", &FiniteHorizonSolution::horizon)
      .def_property_readonly("V", [](const FiniteHorizonSolution& r) {
        return ToArray(std::span<const double>(r.values), {r.horizon, r.num_states});
      }, "V_t(s), shape (T, S).")
      .def_property_readonly("Q", [](const FiniteHorizonSolution& r) {
        return ToArray(std::span<const double>(r.q_values), {r.horizon, r.num_states, r.num_actions});
      }, "Q_t(s, a), shape (T, S, A).")
      .def_property_readonly("policy", [](const FiniteHorizonSolution& r) {
        return ToArray(std::span<const double>(r.policy), {r.horizon, r.num_states, r.num_actions});
      }, "pi_t(a|s), shape (T, S, A).")
      .def_readonly("summary", &FiniteHorizonSolution::summary, "The SolverSummary (exact: converged).");

  m.def("solve_finite_horizon",
        [](const Mdp& mdp, double temperature, int horizon, const std::string& backup, const py::object& prior,
           double discount) {
          FiniteHorizonOptions o;
          SetBellman(o, mdp, temperature, discount, backup, prior, 1);
          o.horizon = horizon;
          py::gil_scoped_release release;
          return SolveFiniteHorizon(mdp, o);
        },
        py::arg("mdp"), py::arg("temperature"), py::arg("horizon"), py::arg("backup") = "variational",
        py::arg("prior") = py::none(), py::arg("discount") = 1.0,
        "The backward recursion over t = T-1..0. With backup=\"exact\", V[0] / temperature is the "
        "log-partition log p(O_{0:T-1} = 1 | s_0) and policy[t] the exact posterior.");

  m.def("forward_messages",
        [](const Mdp& mdp, const py::object& policy, const py::object& initial) {
          const std::vector<py::ssize_t> shape = ShapeOf(policy);
          if (shape.size() != 3) throw Error("policy: expected a (T, S, A) array");
          const std::vector<double> p = DoublesFrom(policy, "policy", {-1, mdp.num_states(), mdp.num_actions()});
          std::vector<double> d0;
          if (!initial.is_none()) d0 = DoublesFrom(initial, "initial", {mdp.num_states()});
          const int T = static_cast<int>(shape[0]);
          ForwardMessages f;
          {
            py::gil_scoped_release release;
            f = ComputeForwardMessages(mdp, p, T, d0);
          }
          py::dict out;
          out["state_marginals"] = ToArray(std::span<const double>(f.state_marginals), {T, mdp.num_states()});
          out["state_action_marginals"] =
              ToArray(std::span<const double>(f.state_action_marginals), {T, mdp.num_states(), mdp.num_actions()});
          out["ended"] = ToArray(std::span<const double>(f.ended), {T});
          return out;
        },
        py::arg("mdp"), py::arg("policy"), py::arg("initial") = py::none(),
        "State and state-action marginals d_t(s), d_t(s, a) of a time-indexed policy (T, S, A), and "
        "the probability that the episode ended at each t.");

  m.def("discounted_occupancy",
        [](const Mdp& mdp, const py::object& policy, double discount, const py::object& initial) {
          const std::vector<double> p = DoublesFrom(policy, "policy", {mdp.num_states(), mdp.num_actions()});
          std::vector<double> d0;
          if (!initial.is_none()) d0 = DoublesFrom(initial, "initial", {mdp.num_states()});
          Occupancy o;
          {
            py::gil_scoped_release release;
            o = DiscountedOccupancy(mdp, p, discount, {}, d0);
          }
          py::dict out;
          out["state"] = ToArray(std::span<const double>(o.state), {mdp.num_states()});
          out["state_action"] = ToArray(std::span<const double>(o.state_action), {mdp.num_states(), mdp.num_actions()});
          out["converged"] = o.summary.converged;
          out["iterations"] = o.summary.iterations;
          out["summary"] = o.summary;
          return out;
        },
        py::arg("mdp"), py::arg("policy"), py::arg("discount"), py::arg("initial") = py::none(),
        "rho(s) = sum_t gamma^t P(s_t = s) of a stationary policy (S, A), and rho(s, a).");

  m.def("sample_trajectory",
        [](const Mdp& mdp, const py::object& policy, int max_steps, std::uint64_t seed) {
          const std::vector<py::ssize_t> shape = ShapeOf(policy);
          std::vector<double> p = shape.size() == 3
                                      ? DoublesFrom(policy, "policy", {-1, mdp.num_states(), mdp.num_actions()})
                                      : DoublesFrom(policy, "policy", {mdp.num_states(), mdp.num_actions()});
          Rng rng(seed);
          const Trajectory t = SampleTrajectory(mdp, p, max_steps, rng);
          py::dict out;
          out["states"] = ToArray(std::span<const int>(t.states), {static_cast<py::ssize_t>(t.states.size())});
          out["actions"] = ToArray(std::span<const int>(t.actions), {static_cast<py::ssize_t>(t.actions.size())});
          out["rewards"] = ToArray(std::span<const double>(t.rewards), {static_cast<py::ssize_t>(t.rewards.size())});
          out["ended"] = t.ended;
          return out;
        },
        py::arg("mdp"), py::arg("policy"), py::arg("max_steps"), py::arg("seed") = 0,
        "One trajectory from a stationary (S, A) or time-indexed (T, S, A) policy.");

  m.def("enumerate_posterior",
        [](const Mdp& mdp, int start_state, int horizon, double temperature, const py::object& prior) {
          const ActionPrior p = PriorFrom(prior, mdp);
          EnumerationResult e;
          {
            py::gil_scoped_release release;
            e = EnumerateOptimalityPosterior(mdp, start_state, horizon, temperature, p);
          }
          py::dict out;
          out["log_partition"] = e.log_partition;
          out["first_action_posterior"] =
              ToArray(std::span<const double>(e.first_action_posterior), {mdp.num_actions()});
          out["num_trajectories"] = e.num_trajectories;
          return out;
        },
        py::arg("mdp"), py::arg("start_state"), py::arg("horizon"), py::arg("temperature"),
        py::arg("prior") = py::none(),
        "Brute force: log p(O = 1 | s_0) and p(a_0 | s_0, O = 1) by enumerating every trajectory "
        "(the independent check of solve_finite_horizon with backup=\"exact\").");
}

}  // namespace cai::python
