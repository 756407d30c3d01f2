// Environments (module env): the simulators, their spaces, the native vector environment, and
// PythonEnvironment, which lets the C++ learners step any Gymnasium environment written in Python.
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "bindings.h"
#include "cai/core/error.h"
#include "cai/env/environment.h"
#include "cai/env/vector_env.h"
#include "python_environment.h"

namespace cai::python {
namespace {

std::vector<double> ActionFrom(const env::Environment& e, const py::object& action) {
  if (e.action_space().is_discrete()) {
    if (py::isinstance<py::int_>(action) || py::isinstance<py::float_>(action)) return {action.cast<double>()};
    return DoublesFrom(action, "action", {-1});
  }
  return DoublesFrom(action, "action", {e.action_dim()});
}

py::array_t<float> Observation(const std::vector<float>& o) {
  return ToArray(std::span<const float>(o), {static_cast<py::ssize_t>(o.size())});
}

}  // namespace

PythonEnvironment::PythonEnvironment(py::object env, std::string name)
    : Environment(0), env_(std::move(env)), name_(std::move(name)) {
  const py::object obs_space = env_.attr("observation_space");
  const py::object act_space = env_.attr("action_space");
  const auto box = [](const py::object& space, const char* field) {
    if (!py::hasattr(space, "low") || !py::hasattr(space, "high")) {
      throw Error(fmt::format("{}: {} is not a Box (expected gymnasium.spaces.Box)", field, std::string(py::repr(space))));
    }
    std::vector<double> low = DoublesFrom(space.attr("low"), std::string(field) + ".low", {-1});
    std::vector<double> high = DoublesFrom(space.attr("high"), std::string(field) + ".high", {-1});
    return env::Space::Box(std::move(low), std::move(high));
  };
  observation_space_ = box(obs_space, "observation_space");
  if (py::hasattr(act_space, "n") && !py::hasattr(act_space, "low")) {
    action_space_ = env::Space::Discrete(act_space.attr("n").cast<int>());
  } else {
    action_space_ = box(act_space, "action_space");
  }
  observation_.assign(static_cast<std::size_t>(observation_space_.dim()), 0.0f);
  if (name_.empty()) {
    py::object spec = py::getattr(env_, "spec", py::none());
    name_ = spec.is_none() ? std::string(py::str(py::type::of(env_).attr("__name__")))
                           : spec.attr("id").cast<std::string>();
  }
}

PythonEnvironment::~PythonEnvironment() {
  py::gil_scoped_acquire gil;
  env_ = py::object();
}

void PythonEnvironment::Store(const py::handle& observation) {
  const std::vector<float> o = FloatsFrom(observation, name_ + ": observation", {observation_space_.dim()});
  std::copy(o.begin(), o.end(), observation_.begin());
}

void PythonEnvironment::DoReset() {
  // The Python environment is re-seeded from this environment's generator at every reset, so a
  // seeded C++ learner replays the same episodes.
  const std::uint64_t seed = rng_.NextU64() >> 33;
  py::gil_scoped_acquire gil;
  py::tuple r = env_.attr("reset")(py::arg("seed") = seed);
  Store(r[0]);
}

env::StepResult PythonEnvironment::DoStep(std::span<const double> action) {
  py::gil_scoped_acquire gil;
  py::object a;
  if (action_space_.is_discrete()) {
    a = py::int_(static_cast<long long>(action[0]));
  } else {
    a = ToArray(std::span<const double>(action), {static_cast<py::ssize_t>(action.size())})
            .attr("astype")(env_.attr("action_space").attr("dtype"));
  }
  py::tuple r = env_.attr("step")(a);
  if (r.size() != 5) throw Error(fmt::format("{}: step returned {} values (expected 5, Gymnasium's API)", name_, r.size()));
  Store(r[0]);
  env::StepResult out;
  out.reward = r[1].cast<double>();
  out.terminated = r[2].cast<bool>();
  out.truncated = r[3].cast<bool>();
  return out;
}

void PythonEnvironment::DoSetState(std::span<const double>) {}

void PythonEnvironment::Observe(std::span<float> observation) const {
  std::copy(observation_.begin(), observation_.end(), observation.begin());
}

CAI_PYTHON_BINDINGS(20, env) {
  py::class_<env::Space>(m, "Space", "Box(low, high) of float vectors, or Discrete(n).")
      .def_static("box", &env::Space::Box, py::arg("low"), py::arg("high"))
      .def_static("discrete", &env::Space::Discrete, py::arg("n"))
      .def_property_readonly("is_discrete", &env::Space::is_discrete)
      .def_property_readonly("dim", &env::Space::dim)
      .def_property_readonly("n", &env::Space::n)
      .def_property_readonly("low", [](const env::Space& s) { return ToArray(std::span<const double>(s.low()), {static_cast<py::ssize_t>(s.low().size())}); })
      .def_property_readonly("high", [](const env::Space& s) { return ToArray(std::span<const double>(s.high()), {static_cast<py::ssize_t>(s.high().size())}); })
      .def("contains", [](const env::Space& s, const py::object& x) { return s.Contains(DoublesFrom(x, "x", {-1})); })
      .def("__repr__", &env::Space::ToString);

  py::class_<env::Environment>(m, "Environment",
                               "A simulator (Gymnasium's Env + TimeLimit, strict episode protocol). Make one "
                               "with make_env(name).")
      .def_property_readonly("name", [](const env::Environment& e) { return std::string(e.name()); })
      .def_property_readonly("observation_space", &env::Environment::observation_space, py::return_value_policy::copy)
      .def_property_readonly("action_space", &env::Environment::action_space, py::return_value_policy::copy)
      .def_property_readonly("state_dim", &env::Environment::state_dim)
      .def_property("max_episode_steps", &env::Environment::max_episode_steps, &env::Environment::set_max_episode_steps)
      .def_property_readonly("elapsed_steps", &env::Environment::elapsed_steps)
      .def_property_readonly("needs_reset", &env::Environment::needs_reset)
      .def("reset", [](env::Environment& e, std::optional<std::uint64_t> seed) {
        std::vector<float> o(static_cast<std::size_t>(e.observation_dim()));
        e.Reset(seed, o);
        return Observation(o);
      }, py::arg("seed") = py::none(), "Starts an episode; returns the first observation (float32).")
      .def("step", [](env::Environment& e, const py::object& action) {
        const std::vector<double> a = ActionFrom(e, action);
        std::vector<float> o(static_cast<std::size_t>(e.observation_dim()));
        const env::StepResult r = e.Step(a, o);
        return py::make_tuple(Observation(o), r.reward, r.terminated, r.truncated);
      }, py::arg("action"), "Returns (observation, reward, terminated, truncated).")
      .def_property("state", [](const env::Environment& e) {
        const std::vector<double> s = e.state();
        return ToArray(std::span<const double>(s), {static_cast<py::ssize_t>(s.size())});
      }, [](env::Environment& e, const py::object& s) { e.SetState(DoublesFrom(s, "state", {e.state_dim()})); },
      "The internal physical state (e.g. Pendulum [theta, theta_dot]); settable.")
      .def("observe", [](const env::Environment& e) {
        std::vector<float> o(static_cast<std::size_t>(e.observation_dim()));
        e.Observe(o);
        return Observation(o);
      });

  py::class_<PythonEnvironment, env::Environment>(
      m, "PythonEnvironment",
      "Adapts a Gymnasium environment written in Python (Box observations; Box or Discrete actions) to "
      "the C++ Environment interface, so that the C++ learners can train on it. It is re-seeded from "
      "the C++ generator at every reset.")
      .def(py::init<py::object, std::string>(), py::arg("env"), py::arg("name") = "");

  m.def("make_env", &env::MakeEnvironment, py::arg("name"), "A simulator by Gymnasium id (see env_names()).");
  m.def("env_names", &env::EnvironmentNames, "The simulators make_env knows.");

  py::class_<env::VectorEnv>(m, "VectorEnv",
                             "N copies of a simulator stepped together in C++, with automatic reset "
                             "(Stable-Baselines3 style).")
      .def(py::init<int, std::string_view>(), py::arg("num_envs"), py::arg("name"))
      .def_property_readonly("num_envs", &env::VectorEnv::num_envs)
      .def_property_readonly("observation_space", &env::VectorEnv::observation_space, py::return_value_policy::copy)
      .def_property_readonly("action_space", &env::VectorEnv::action_space, py::return_value_policy::copy)
      .def("reset", [](env::VectorEnv& v, std::optional<std::uint64_t> seed) {
        std::vector<float> o(static_cast<std::size_t>(v.num_envs() * v.observation_dim()));
        v.Reset(seed, o);
        return ToArray(std::span<const float>(o), {v.num_envs(), v.observation_dim()});
      }, py::arg("seed") = py::none(), "Resets copy i with seed + i; returns (N, D) float32 observations.")
      .def("step", [](env::VectorEnv& v, const py::object& actions) {
        const int n = v.num_envs(), d = v.observation_dim();
        std::vector<double> a = DoublesFrom(actions, "actions",
                                            v.action_space().is_discrete() ? std::vector<py::ssize_t>{n}
                                                                           : std::vector<py::ssize_t>{n, v.action_dim()});
        py::array_t<float> obs({n, d}), final_obs({n, d});
        py::array_t<double> rewards(n);
        py::array_t<bool> terminated(n), truncated(n);
        static_assert(sizeof(bool) == sizeof(std::uint8_t));
        env::VectorStepOutputs out{
            {obs.mutable_data(), static_cast<std::size_t>(n * d)},
            {rewards.mutable_data(), static_cast<std::size_t>(n)},
            {reinterpret_cast<std::uint8_t*>(terminated.mutable_data()), static_cast<std::size_t>(n)},
            {reinterpret_cast<std::uint8_t*>(truncated.mutable_data()), static_cast<std::size_t>(n)},
            {final_obs.mutable_data(), static_cast<std::size_t>(n * d)}};
        {
          py::gil_scoped_release release;
          v.Step(a, out);
        }
        return py::make_tuple(obs, rewards, terminated, truncated, final_obs);
      }, py::arg("actions"),
      "Steps every copy ((N,) discrete or (N, action_dim) actions); returns (observations, rewards, "
      "terminated, truncated, final_observations); a copy whose episode ended is reset at once and "
      "its final observation is in final_observations.");
}

}  // namespace cai::python
