// MPPI (module planning) as cai.planning: a planner on one of the library's batched models, and the
// closed loop on a simulator (planning::RunMppiControl, shared with `cai plan mppi`). Options are
// keyword arguments read through the options lists (MppiOptionList, MppiControlOptionList) and
// checked by the library's validators, whose errors name the field (MppiOptions.samples, ...).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "options.h"
#include "cai/core/error.h"
#include "cai/planning/batched_dynamics.h"
#include "cai/planning/mppi.h"
#include "cai/planning/mppi_control.h"

namespace cai::python {
namespace {

// A planner with the model it plans on (Mppi keeps a reference to it) and its last summary.
struct Planner {
  std::unique_ptr<planning::BatchedDynamics> model;
  std::unique_ptr<planning::Mppi> mppi;
  std::optional<planning::MppiSummary> last;
};

py::dict SummaryToDict(const planning::MppiSummary& s) {
  py::dict d;
  d["effective_sample_size"] = s.effective_sample_size;
  d["weighted_return"] = s.weighted_return;
  d["best_return"] = s.best_return;
  d["mean_return"] = s.mean_return;
  return d;
}

py::array_t<double> Rows(const std::vector<std::vector<double>>& rows, py::ssize_t width) {
  std::vector<double> flat;
  for (const std::vector<double>& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return ToArray(std::span<const double>(flat), {static_cast<py::ssize_t>(rows.size()), width});
}

py::array_t<double> Values(const std::vector<double>& v) {
  return ToArray(std::span<const double>(v), {static_cast<py::ssize_t>(v.size())});
}

const char* kOptionsDoc =
    "samples: K sequences per iteration; horizon: T steps; temperature: lambda of the weights exp(R / lambda); "
    "noise: proposal standard deviation (one number or one per action dimension); iterations: sample-and-update "
    "rounds per plan() call; warm_start: start each call from the previous plan shifted by one step; smoothing: "
    "\"none\", \"moving-average\" (smoothing_window, odd) or \"exponential\" (smoothing_alpha in (0, 1]); seed: of "
    "the proposal noise; threads: the samples are split over them (results depend on seed and thread count); "
    "action_low / action_high: clip bounds (None: the model's); energy_weight: terminal energy reward of the "
    "Pendulum-v1 and MountainCarContinuous-v0 models (0: none). Defaults: cai.option_fields(\"mppi\"). Bad values "
    "raise CaiError naming the field.";

}  // namespace

CAI_PYTHON_BINDINGS(50, planning) {
  py::module_ pl = m.def_submodule("planning", "Sampling-based planning as inference: MPPI on batched models.");

  pl.def("model_names", &planning::BatchedDynamicsNames, "Batched models MPPI can plan with.");
  pl.def("control_env_names", &planning::MppiControlEnvNames,
         "Environments with a batched model and a simulator: what run() accepts.");

  py::class_<Planner>(pl, "MPPI",
                      "Model Predictive Path Integral control: samples K action sequences around the current plan, "
                      "rolls them through the batched model, weights them by exp(return / temperature) and takes "
                      "the weighted mean as the new plan.")
      .def(py::init([](const std::string& env, double energy_weight, const py::kwargs& options) {
             auto p = std::make_unique<Planner>();
             const planning::MppiOptions o =
                 OptionsFromKwargs(planning::MppiOptionList(), options, planning::MppiOptions{}, "MPPI");
             p->model = planning::MakePlanningModel(env, energy_weight);
             p->mppi = std::make_unique<planning::Mppi>(*p->model, o);
             return p;
           }),
           py::arg("env") = "Pendulum-v1", py::kw_only(), py::arg("energy_weight") = 0.0, kOptionsDoc)
      .def("plan", [](Planner& p, const py::object& state) {
        const std::vector<double> s = DoublesFrom(state, "state", {p.model->state_dim()});
        std::vector<double> action(static_cast<std::size_t>(p.model->action_dim()));
        {
          py::gil_scoped_release release;
          p.last = p.mppi->Plan(s, action);
        }
        return Values(action);
      }, py::arg("state"), "Plans from `state` and returns the first action of the updated plan.")
      .def("reset", [](Planner& p) {
        p.mppi->Reset();
        p.last.reset();
      }, "Back to the nominal plan (zeros clipped to the bounds); the next plan() does not shift.")
      .def("set_plan", [](Planner& p, const py::object& plan) {
        p.mppi->SetPlan(FloatsFrom(plan, "plan", {p.mppi->options().horizon, p.model->action_dim()}));
      }, py::arg("plan"), "Sets the plan, (horizon, action_dim) within the bounds; the next plan() starts from it.")
      .def_property_readonly("plan_sequence", [](const Planner& p) {
        const auto v = p.mppi->plan();
        std::vector<double> d(v.begin(), v.end());
        return ToArray(std::span<const double>(d), {p.mppi->options().horizon, p.model->action_dim()});
      }, "The current plan, (horizon, action_dim).")
      .def_property_readonly("samples", [](const Planner& p) {
        const auto v = p.mppi->samples();
        std::vector<double> d(v.begin(), v.end());
        return ToArray(std::span<const double>(d),
                       {p.mppi->options().horizon, p.model->action_dim(), p.mppi->options().samples});
      }, "The clipped sampled actions of the last iteration, (horizon, action_dim, samples).")
      .def_property_readonly("weights", [](const Planner& p) {
        const auto v = p.mppi->weights();
        return ToArray(v, {static_cast<py::ssize_t>(v.size())});
      }, "The normalised weights of the last iteration, (samples,).")
      .def_property_readonly("returns", [](const Planner& p) {
        const auto v = p.mppi->returns();
        std::vector<double> d(v.begin(), v.end());
        return Values(d);
      }, "The returns (undiscounted over the horizon) of the last iteration's samples, (samples,).")
      .def_property_readonly("summary", [](const Planner& p) -> py::object {
        if (!p.last) return py::none();
        return SummaryToDict(*p.last);
      }, "The last plan() call's last iteration: effective_sample_size, weighted_return, best_return, mean_return "
         "(None before the first call and after reset()).")
      .def_property_readonly("env", [](const Planner& p) { return std::string(p.model->name()); })
      .def_property_readonly("state_dim", [](const Planner& p) { return p.model->state_dim(); })
      .def_property_readonly("action_dim", [](const Planner& p) { return p.model->action_dim(); })
      .def_property_readonly("options", [](const Planner& p) { return OptionsToKwargs(planning::MppiOptionList(), p.mppi->options()); },
                             "The planner's options as a dict.");

  pl.def("run", [](const std::string& env, int steps, const py::kwargs& options) {
    planning::MppiControlOptions base;
    base.env = env;
    base.steps = steps;
    const planning::MppiControlOptions c =
        OptionsFromKwargs(planning::MppiControlOptionList(), options, base, "run");
    planning::MppiControlResult r;
    {
      py::gil_scoped_release release;
      r = planning::RunMppiControl(c);
    }
    const auto state_dim = static_cast<py::ssize_t>(r.states.front().size());
    const auto action_dim = r.actions.empty() ? py::ssize_t{0} : static_cast<py::ssize_t>(r.actions.front().size());
    py::dict d;
    d["env"] = r.env;
    d["start"] = r.start;
    d["states"] = Rows(r.states, state_dim);
    d["actions"] = Rows(r.actions, action_dim);
    d["rewards"] = Values(r.rewards);
    d["return"] = r.total_return;
    d["steps"] = static_cast<int>(r.actions.size());
    d["effective_sample_size"] = Values(r.effective_sample_size);
    d["weighted_return"] = Values(r.weighted_return);
    d["ms_per_step"] = Values(r.ms_per_step);
    d[r.tracks_angle ? "angle" : "position"] = Values(r.tracked);
    if (r.tracks_angle) {
      d["steps_to_upright"] = r.steps_to_upright < 0 ? py::object(py::none()) : py::object(py::int_(r.steps_to_upright));
    } else {
      d["steps_to_goal"] = r.steps_to_goal < 0 ? py::object(py::none()) : py::object(py::int_(r.steps_to_goal));
    }
    return d;
  }, py::arg("env") = "Pendulum-v1", py::arg("steps") = 0,
  "Closed-loop MPPI on the simulator `env` with its own model, as `cai plan mppi`: steps (0: the time limit); "
  "Pendulum-v1 starts hanging at rest unless random_start (the others from reset(seed)); value_grid N > 0 "
  "(Pendulum-v1) adds the terminal value from exact value iteration on an N x N grid. Returns a dict: states "
  "(steps + 1, state_dim), actions (steps, action_dim), rewards, return, steps, effective_sample_size, "
  "weighted_return, ms_per_step, start, and angle + steps_to_upright (|angle| < 0.2 to the end; None if never) for "
  "the pendulums or position + steps_to_goal for MountainCarContinuous-v0.");
}

}  // namespace cai::python
