// Inverse RL (module irl) with its feature tables and objectworld (module mdp): the submodule
// cai._core.irl behind cai.irl. NumPy arrays in and out; the objective, the fit and expected value
// difference are the library's (IrlObjective, FitIrl, ExpectedValueDifference).
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bindings.h"
#include "cai/core/error.h"
#include "cai/irl/demonstrations.h"
#include "cai/irl/maxent_irl.h"
#include "cai/mdp/builtins.h"
#include "cai/mdp/features.h"
#include "cai/mdp/mdp.h"
#include "cai/mdp/objectworld.h"

namespace cai::python {
namespace {

// Built-in parameters as on the command line (`--param key=value`): every value as text.
std::map<std::string, std::string> TextParams(const py::dict& params) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : params) {
    out[py::str(k)] = py::isinstance<py::bool_>(v) ? (v.cast<bool>() ? "true" : "false") : std::string(py::str(v));
  }
  return out;
}

// (S, F) state features or (S, A, F) state-action features of `mdp`, validated by the library.
FeatureTable FeaturesFromArray(const Mdp& mdp, const py::object& values, const py::object& names) {
  const std::vector<py::ssize_t> shape = ShapeOf(values);
  FeatureTable t;
  t.num_states = mdp.num_states();
  t.num_actions = mdp.num_actions();
  if (shape.size() == 2) {
    t.kind = FeatureKind::kState;
    t.values = DoublesFrom(values, "features", {mdp.num_states(), -1});
  } else if (shape.size() == 3) {
    t.kind = FeatureKind::kStateAction;
    t.values = DoublesFrom(values, "features", {mdp.num_states(), mdp.num_actions(), -1});
  } else {
    throw Error(fmt::format("features: expected an (S, F) or (S, A, F) array, got {} dimensions", shape.size()));
  }
  t.num_features = static_cast<int>(shape.back());
  if (!names.is_none()) t.names = names.cast<std::vector<std::string>>();
  ValidateFeatures(t, mdp);
  return t;
}

py::array_t<double> FeatureValues(const FeatureTable& t) {
  if (t.kind == FeatureKind::kState) return ToArray(t.values, {t.num_states, t.num_features});
  return ToArray(t.values, {t.num_states, t.num_actions, t.num_features});
}

Demonstration DemonstrationFrom(const py::object& states, const py::object& actions) {
  Demonstration d;
  for (const double s : DoublesFrom(states, "states", {-1})) d.states.push_back(static_cast<int>(s));
  for (const double a : DoublesFrom(actions, "actions", {-1})) d.actions.push_back(static_cast<int>(a));
  return d;
}

py::array_t<std::int64_t> IntArray(const std::vector<int>& v) {
  return ToArray(std::span<const int>(v), {static_cast<py::ssize_t>(v.size())});
}

py::dict TraceToDict(const std::vector<IrlTraceRow>& trace) {
  const auto n = static_cast<py::ssize_t>(trace.size());
  py::array_t<std::int64_t> iteration(n), evaluations(n);
  py::array_t<double> objective(n), gradient_norm(n);
  for (py::ssize_t i = 0; i < n; ++i) {
    const IrlTraceRow& r = trace[static_cast<std::size_t>(i)];
    iteration.mutable_at(i) = r.iteration;
    evaluations.mutable_at(i) = r.evaluations;
    objective.mutable_at(i) = r.objective;
    gradient_norm.mutable_at(i) = r.gradient_norm;
  }
  py::dict d;
  d["iteration"] = iteration;
  d["evaluations"] = evaluations;
  d["objective"] = objective;
  d["gradient_norm"] = gradient_norm;
  return d;
}

}  // namespace

CAI_PYTHON_BINDINGS(60, irl) {
  py::module_ irl = m.def_submodule(
      "irl", "Maximum-entropy (Ziebart 2008) and maximum-causal-entropy (Ziebart 2010) inverse RL with linear "
             "rewards r(s, a) = theta . f(s, a), on exact tabular inference.");

  // ---- Feature tables ---------------------------------------------------------------------------
  py::class_<FeatureTable>(irl, "Features",
                           "A dense feature table f(s) (kind \"state\") or f(s, a) (kind \"state_action\").")
      .def_static("from_array", &FeaturesFromArray, py::arg("mdp"), py::arg("values"), py::arg("names") = py::none(),
                  "State features from an (S, F) array or state-action features from an (S, A, F) array; "
                  "names: None or F strings. Validated against `mdp` (finite values, sizes).")
      .def_static("indicator", &IndicatorFeatures, py::arg("mdp"),
                  "One-hot state features f_k(s) = [s == k]: every state reward is representable.")
      .def_static("builtin",
                  [](const std::string& name, const py::dict& params) { return MakeBuiltinFeatures(name, TextParams(params)); },
                  py::arg("name"), py::arg("params") = py::dict(),
                  "The features of a built-in problem (objectworld's distance features, one-hot states for the "
                  "others); same name and parameters as cai.Mdp.builtin.")
      .def_static("from_json", [](const std::string& text) { return FeaturesFromJson(nlohmann::json::parse(text)); },
                  py::arg("text"), "Parses a cai.features/1 document.")
      .def_static("load", &LoadFeatures, py::arg("path"), "Reads a cai.features/1 file.")
      .def("save", [](const FeatureTable& t, const std::string& path) { SaveFeatures(t, path); }, py::arg("path"),
           "Writes a cai.features/1 file.")
      .def("to_json", [](const FeatureTable& t) { return FeaturesToJson(t).dump(); }, "The cai.features/1 document.")
      .def("validate", [](const FeatureTable& t, const Mdp& mdp) { ValidateFeatures(t, mdp); }, py::arg("mdp"),
           "Raises CaiError naming the field unless the table is well formed and fits `mdp`.")
      .def("reward",
           [](const FeatureTable& t, const py::object& theta) {
             const std::vector<double> w = DoublesFrom(theta, "theta", {t.num_features});
             std::vector<double> r(static_cast<std::size_t>(t.num_states) * static_cast<std::size_t>(t.num_actions));
             LinearReward(t, w, r);
             return ToArray(r, {t.num_states, t.num_actions});
           },
           py::arg("theta"), "r(s, a) = theta . f(s, a) as an (S, A) array.")
      .def_property_readonly("kind", [](const FeatureTable& t) {
        return std::string(t.kind == FeatureKind::kState ? "state" : "state_action");
      }, "\"state\" or \"state_action\".")
      .def_property_readonly("num_states", [](const FeatureTable& t) { return t.num_states; }, "S.")
      .def_property_readonly("num_actions", [](const FeatureTable& t) { return t.num_actions; }, "A.")
      .def_property_readonly("num_features", [](const FeatureTable& t) { return t.num_features; }, "F.")
      .def_property_readonly("names", [](const FeatureTable& t) {
        std::vector<std::string> n;
        for (int k = 0; k < t.num_features; ++k) n.push_back(t.FeatureName(k));
        return n;
      }, "The feature names (\"f<k>\" where none was given).")
      .def_property_readonly("values", &FeatureValues, "(S, F) for state features, (S, A, F) for state-action ones.")
      .def("__repr__", [](const FeatureTable& t) {
        return fmt::format("<cai.irl.Features: {} {} features, {} states, {} actions>", t.num_features,
                           t.kind == FeatureKind::kState ? "state" : "state-action", t.num_states, t.num_actions);
      });

  // ---- Objectworld -----------------------------------------------------------------------------
  py::class_<Objectworld>(irl, "Objectworld",
                          "Objectworld (Levine et al. 2011): the MDP, its distance features and the objects.")
      .def(py::init([](int size, int num_objects, int num_colours, double move_success, bool continuous_features,
                       bool discrete_features, std::uint64_t seed) {
             ObjectworldOptions o;
             o.size = size;
             o.num_objects = num_objects;
             o.num_colours = num_colours;
             o.move_success = move_success;
             o.continuous_features = continuous_features;
             o.discrete_features = discrete_features;
             o.seed = seed;
             ValidateObjectworldOptions(o);
             return MakeObjectworld(o);
           }),
           py::arg("size") = 32, py::arg("num_objects") = 64, py::arg("num_colours") = 2, py::arg("move_success") = 0.7,
           py::arg("continuous_features") = true, py::arg("discrete_features") = true, py::arg("seed") = 0,
           "A size x size grid with num_objects objects on random cells (seeded); actions up, down, left, "
           "right, stay; the intended move happens with probability move_success.")
      .def_readonly("mdp", &Objectworld::mdp, "The cai.Mdp (its rewards are the true reward).")
      .def_readonly("features", &Objectworld::features, "The state features (not linear in the true reward).")
      .def_property_readonly("objects", [](const Objectworld& w) {
        std::vector<int> v;
        for (const auto& o : w.objects) v.insert(v.end(), {o.x, o.y, o.inner_colour, o.outer_colour});
        return ToArray(std::span<const int>(v), {static_cast<py::ssize_t>(w.objects.size()), 4});
      }, "(N, 4) integers: x, y, inner colour, outer colour.");

  // ---- Demonstrations --------------------------------------------------------------------------
  py::class_<Demonstration>(irl, "Demonstration", "One demonstrated trajectory: states and actions of equal length.")
      .def(py::init(&DemonstrationFrom), py::arg("states"), py::arg("actions"),
           "From two integer sequences (their lengths are checked when the demonstrations are used).")
      .def_property_readonly("states", [](const Demonstration& d) { return IntArray(d.states); }, "s_0 .. s_{n-1}.")
      .def_property_readonly("actions", [](const Demonstration& d) { return IntArray(d.actions); }, "a_0 .. a_{n-1}.")
      .def("__len__", [](const Demonstration& d) { return d.states.size(); }, "The number of steps n.")
      .def("__eq__", [](const Demonstration& a, const Demonstration& b) { return a == b; }, "Same states and actions.")
      .def("__repr__", [](const Demonstration& d) {
        return fmt::format("<cai.irl.Demonstration: {} steps>", d.states.size());
      });

  irl.def("sample_demonstrations",
          [](const Mdp& mdp, const py::object& policy, int count, int length, std::uint64_t seed) {
            const std::vector<py::ssize_t> shape = ShapeOf(policy);
            const std::vector<double> p =
                shape.size() == 3 ? DoublesFrom(policy, "policy", {-1, mdp.num_states(), mdp.num_actions()})
                                  : DoublesFrom(policy, "policy", {mdp.num_states(), mdp.num_actions()});
            py::gil_scoped_release release;
            return SampleDemonstrations(mdp, p, count, length, seed);
          },
          py::arg("mdp"), py::arg("policy"), py::arg("count"), py::arg("length"), py::arg("seed") = 0,
          "`count` trajectories of `length` steps in the MDP's dynamics from its initial distribution under "
          "`policy` ((S, A) stationary or (T, S, A) with T >= length); deterministic given `seed`.");
  irl.def("parse_demonstrations", &ParseDemonstrations, py::arg("text"),
          "Parses JSON Lines: one {\"states\": [...], \"actions\": [...]} per line.");
  irl.def("demonstrations_to_jsonl", [](const std::vector<Demonstration>& d) { return DemonstrationsToJsonLines(d); },
          py::arg("demos"), "The JSON Lines text of `demos`.");
  irl.def("load_demonstrations", &LoadDemonstrations, py::arg("path"), "Reads a JSON Lines file of demonstrations.");
  irl.def("save_demonstrations",
          [](const std::vector<Demonstration>& d, const std::string& path) { SaveDemonstrations(d, path); },
          py::arg("demos"), py::arg("path"), "Writes `demos` as JSON Lines.");
  irl.def("validate_demonstrations",
          [](const std::vector<Demonstration>& d, const Mdp& mdp) { ValidateDemonstrations(d, mdp); },
          py::arg("demos"), py::arg("mdp"),
          "Raises CaiError naming demos[i] and the step unless every demonstration fits `mdp`.");

  // ---- The objective and the fit --------------------------------------------------------------
  py::class_<IrlObjective>(irl, "Objective",
                           "The IRL objective L(theta) = (theta . f_D - E_{d_0} V_0) / alpha - l2 / 2 ||theta||^2 "
                           "and its exact gradient (f_D - mu(theta)) / alpha - l2 theta.")
      .def(py::init([](const Mdp& mdp, const FeatureTable& features, const std::vector<Demonstration>& demos,
                       const std::string& method, double temperature, int horizon, double discount, double l2,
                       double tolerance, int max_iterations, int checkpoint_interval, bool keep_policies) {
             IrlObjectiveOptions o;
             o.method = ParseIrlMethod(method);
             o.temperature = temperature;
             o.horizon = horizon;
             o.discount = discount;
             o.l2 = l2;
             o.tolerance = tolerance;
             o.max_iterations = max_iterations;
             o.checkpoint_interval = checkpoint_interval;
             o.keep_policies = keep_policies;
             return IrlObjective(mdp, features, demos, o);
           }),
           py::keep_alive<1, 2>(), py::keep_alive<1, 3>(), py::arg("mdp"), py::arg("features"), py::arg("demos"),
           py::arg("method") = "mce", py::arg("temperature") = 1.0, py::arg("horizon") = 0, py::arg("discount") = 1.0,
           py::arg("l2") = 0.0, py::arg("tolerance") = 1e-10, py::arg("max_iterations") = 100000,
           py::arg("checkpoint_interval") = 0, py::arg("keep_policies") = true,
           "method: \"mce\" (Ziebart 2010, variational backup) or \"maxent\" (Ziebart 2008, exact backup). "
           "horizon > 0: finite horizon (discount in [0, 1]); horizon 0: discounted (discount in [0, 1)).")
      .def("evaluate",
           [](IrlObjective& o, const py::object& theta) {
             const std::vector<double> w = DoublesFrom(theta, "theta", {o.num_parameters()});
             std::vector<double> g(w.size());
             double value = 0.0;
             {
               py::gil_scoped_release release;
               value = o.Evaluate(w, g);
             }
             return py::make_tuple(value, ToArray(g, {o.num_parameters()}));
           },
           py::arg("theta"), "(L(theta), dL/dtheta); also sets expected_features and mean_start_value.")
      .def("fit",
           [](IrlObjective& o, const std::string& optimizer, int max_iterations, double gradient_tolerance,
              double relative_tolerance, int lbfgs_memory, double learning_rate, const py::object& initial_theta) {
             IrlFitOptions f;
             f.optimizer = ParseIrlOptimizer(optimizer);
             f.max_iterations = max_iterations;
             f.gradient_tolerance = gradient_tolerance;
             f.relative_tolerance = relative_tolerance;
             f.lbfgs_memory = lbfgs_memory;
             f.learning_rate = learning_rate;
             ValidateIrlFitOptions(f);
             std::vector<double> start;
             if (!initial_theta.is_none()) start = DoublesFrom(initial_theta, "initial_theta", {o.num_parameters()});
             IrlFitResult r;
             {
               py::gil_scoped_release release;
               r = FitIrl(o, f, start);
             }
             py::dict out;
             out["theta"] = ToArray(r.theta, {static_cast<py::ssize_t>(r.theta.size())});
             out["trace"] = TraceToDict(r.trace);
             out["converged"] = r.summary.converged;
             out["iterations"] = r.summary.iterations;
             out["message"] = r.summary.message;
             out["summary"] = r.summary;
             return out;
           },
           py::arg("optimizer") = "lbfgs", py::arg("max_iterations") = 1000, py::arg("gradient_tolerance") = 1e-6,
           py::arg("relative_tolerance") = 1e-12, py::arg("lbfgs_memory") = 10, py::arg("learning_rate") = 0.05,
           py::arg("initial_theta") = py::none(),
           "Maximises L (optimizer \"lbfgs\" or \"adam\") from initial_theta (None: zeros). Returns a dict: "
           "theta, trace (arrays iteration, evaluations, objective, gradient_norm), converged, iterations, message, "
           "summary (a cai.SolverSummary).")
      .def_property_readonly("num_parameters", &IrlObjective::num_parameters, "The number of features F (size of theta).")
      .def_property_readonly("empirical_features", [](const IrlObjective& o) {
        return ToArray(o.empirical_features(), {o.num_parameters()});
      }, "f_D: the demonstrations' mean discounted feature counts.")
      .def_property_readonly("expected_features", [](const IrlObjective& o) {
        return ToArray(o.expected_features(), {o.num_parameters()});
      }, "mu(theta) of the last evaluate: expected discounted feature counts under the soft policy.")
      .def_property_readonly("mean_start_value", &IrlObjective::mean_start_value,
                             "sum_s d_0(s) V_0(s) of the last evaluate.")
      .def_property_readonly("dynamics_log_likelihood", &IrlObjective::dynamics_log_likelihood,
                             "Mean over the demonstrations of sum_t log p(s_{t+1} | s_t, a_t).")
      .def_property_readonly("start_distribution", [](const IrlObjective& o) {
        return ToArray(o.start_distribution(), {static_cast<py::ssize_t>(o.start_distribution().size())});
      }, "d_0: the empirical distribution of the first states, shape (S,).")
      .def_property_readonly("workspace_bytes", &IrlObjective::workspace_bytes, "Bytes held by the preallocated workspace.")
      .def_property_readonly("checkpoint_interval", &IrlObjective::checkpoint_interval,
                             "Finite horizon: the value checkpoint interval B in use.");

  irl.def("with_rewards",
          [](const Mdp& mdp, const py::object& rewards) {
            return WithRewards(mdp, DoublesFrom(rewards, "rewards", {mdp.num_states(), mdp.num_actions()}));
          },
          py::arg("mdp"), py::arg("rewards"), "The same MDP with its rewards replaced by an (S, A) array.");
  irl.def("expected_value_difference",
          [](const Mdp& mdp, const py::object& learned_rewards, double discount) {
            const std::vector<double> r =
                DoublesFrom(learned_rewards, "learned_rewards", {mdp.num_states(), mdp.num_actions()});
            py::gil_scoped_release release;
            return ExpectedValueDifference(mdp, r, discount);
          },
          py::arg("mdp"), py::arg("learned_rewards"), py::arg("discount"),
          "EVD (Levine et al. 2011): v(pi*) - v(pi_learned) under the MDP's own rewards, pi_learned optimal "
          "(hard) for learned_rewards (S, A); discount in [0, 1).");
}

}  // namespace cai::python
