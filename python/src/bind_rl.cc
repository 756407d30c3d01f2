// Learners (module rl) and run directories (module io): the trainers behind cai.SAC, cai.SoftDQN
// and cai.MaxEntActorCritic. Options arrive as dicts and are parsed by the library's
// *OptionsFromJson (unknown keys and bad values are errors naming the key).
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "bindings.h"
#include "cai/core/error.h"
#include "cai/io/policy_file.h"
#include "cai/io/training_run.h"
#include "cai/nn/safetensors.h"
#include "cai/rl/actor_critic.h"
#include "cai/rl/sac_trainer.h"
#include "cai/rl/soft_dqn.h"
#include "cai/rl/trainer.h"
#include "python_environment.h"

namespace cai::python {
namespace {

py::dict EpisodesToDict(const std::vector<rl::EpisodeStats>& episodes) {
  const auto n = static_cast<py::ssize_t>(episodes.size());
  py::array_t<std::int64_t> end_step(n), length(n);
  py::array_t<double> returns(n);
  py::array_t<bool> truncated(n);
  for (py::ssize_t i = 0; i < n; ++i) {
    end_step.mutable_at(i) = episodes[static_cast<std::size_t>(i)].end_step;
    length.mutable_at(i) = episodes[static_cast<std::size_t>(i)].length;
    returns.mutable_at(i) = episodes[static_cast<std::size_t>(i)].episodic_return;
    truncated.mutable_at(i) = episodes[static_cast<std::size_t>(i)].truncated;
  }
  py::dict d;
  d["end_step"] = end_step;
  d["return"] = returns;
  d["length"] = length;
  d["truncated"] = truncated;
  return d;
}

py::dict EvaluationToDict(const rl::EvaluationResult& e) {
  py::dict d;
  d["mean_return"] = e.mean_return;
  d["std_return"] = e.std_return;
  d["returns"] = ToArray(std::span<const double>(e.returns), {static_cast<py::ssize_t>(e.returns.size())});
  d["lengths"] = ToArray(std::span<const int>(e.lengths), {static_cast<py::ssize_t>(e.lengths.size())});
  return d;
}

// Observations as an (N, D) batch: a (D,) array is a batch of one (`single` says so).
std::vector<float> ObservationBatch(const py::object& obs, int dim, int& n, bool& single) {
  const std::vector<py::ssize_t> shape = ShapeOf(obs);
  single = shape.size() == 1;
  if (single) {
    n = 1;
    return FloatsFrom(obs, "observation", {dim});
  }
  std::vector<float> v = FloatsFrom(obs, "observation", {-1, dim});
  n = static_cast<int>(shape[0]);
  return v;
}

// Calls act(observation row, action row) for every row; returns (A,) or (N, A) (or ints for
// discrete actions, `discrete`).
template <typename Act>
py::object ActBatch(const py::object& obs, int obs_dim, int act_dim, bool discrete, Act act) {
  int n = 0;
  bool single = false;
  const std::vector<float> o = ObservationBatch(obs, obs_dim, n, single);
  std::vector<double> a(static_cast<std::size_t>(n * act_dim));
  for (int i = 0; i < n; ++i) {
    act(std::span<const float>(o).subspan(static_cast<std::size_t>(i * obs_dim), static_cast<std::size_t>(obs_dim)),
        std::span<double>(a).subspan(static_cast<std::size_t>(i * act_dim), static_cast<std::size_t>(act_dim)));
  }
  if (discrete) {
    std::vector<int> ints(a.begin(), a.end());
    if (single) return py::int_(ints[0]);
    return ToArray(std::span<const int>(ints), {n});
  }
  if (single) return ToArray(std::span<const double>(a), {act_dim});
  return ToArray(std::span<const double>(a), {n, act_dim});
}

void SaveTrainer(const rl::Trainer& t, const std::string& path) {
  if (!t.can_checkpoint()) {
    throw Error(fmt::format("save: {} can only be saved at an episode boundary (learn() ends on one unless "
                            "finish_episode=False)", t.algorithm()));
  }
  nn::SafetensorsFile f;
  t.SaveCheckpoint(f);
  f.metadata["config"] = t.Config().dump();
  nn::SaveSafetensors(path, f);
}

std::unique_ptr<env::Environment> Wrap(const py::object& env) {
  return std::make_unique<PythonEnvironment>(env, "");
}

struct LoadedPolicy {
  io::PolicyFile file;
  int observation_dim = 0;
  int action_dim = 0;
  bool discrete = false;
};

}  // namespace

CAI_PYTHON_BINDINGS(30, rl) {
  py::class_<rl::Trainer>(m, "Trainer", "A learner driven one environment step at a time (see cai.SAC).")
      .def_property_readonly("algorithm", &rl::Trainer::algorithm)
      .def_property_readonly("num_timesteps", &rl::Trainer::step)
      .def_property_readonly("total_steps", &rl::Trainer::total_steps)
      .def_property_readonly("can_checkpoint", &rl::Trainer::can_checkpoint)
      .def("run_steps", [](rl::Trainer& t, std::int64_t steps, bool finish_episode) {
        std::vector<rl::EpisodeStats> finished;
        {
          py::gil_scoped_release release;
          rl::RunSteps(t, steps, finish_episode, finished);
        }
        return EpisodesToDict(finished);
      }, py::arg("steps"), py::arg("finish_episode") = true,
      "Trains for `steps` environment steps (then to the end of the episode if finish_episode); "
      "returns the finished episodes as arrays end_step, return, length, truncated.")
      .def("scalars", [](const rl::Trainer& t) {
        py::dict d;
        for (const auto& [k, v] : t.Scalars()) d[py::str(k)] = v;
        return d;
      }, "Losses and diagnostics of the latest update (TensorBoard tags).")
      .def("evaluate", [](rl::Trainer& t, int episodes, std::uint64_t seed) {
        rl::EvaluationResult e;
        {
          py::gil_scoped_release release;
          e = t.Evaluate(episodes, seed);
        }
        return EvaluationToDict(e);
      }, py::arg("episodes") = 10, py::arg("seed") = 1000003, "Deterministic evaluation episodes.")
      .def("config", [](const rl::Trainer& t) { return JsonTo(t.Config()); })
      .def("save", &SaveTrainer, py::arg("path"),
           "Writes a checkpoint (learner, replay buffer, generators, counters, config) atomically.")
      .def("restore", [](rl::Trainer& t, const std::string& path) { t.RestoreCheckpoint(nn::LoadSafetensors(path)); },
           py::arg("path"), "Continues from a checkpoint written by save() or by a `cai train` run.")
      .def("save_policy", [](const rl::Trainer& t, const std::string& path) {
        nn::SafetensorsFile f;
        t.SavePolicy(f);
        nn::SaveSafetensors(path, f);
      }, py::arg("path"), "Writes the policy alone: loadable by `cai eval`, load_policy() and safetensors/PyTorch.");

  py::class_<rl::SacTrainer, rl::Trainer>(m, "SacTrainer", "SAC (the trainer behind cai.SAC and `cai train sac`).")
      .def(py::init([](const std::string& env, const py::object& options, std::int64_t total_steps) {
             return std::make_unique<rl::SacTrainer>(env, rl::SacOptionsFromJson(JsonFrom(options)), total_steps);
           }),
           py::arg("env"), py::arg("options"), py::arg("total_steps"))
      .def_static("from_python_env", [](const py::object& env, const py::object& eval_env, const py::object& options,
                                        std::int64_t total_steps) {
        return std::make_unique<rl::SacTrainer>(Wrap(env), Wrap(eval_env), rl::SacOptionsFromJson(JsonFrom(options)),
                                                total_steps);
      }, py::arg("env"), py::arg("eval_env"), py::arg("options"), py::arg("total_steps"),
      "SAC on a Gymnasium environment written in Python (a second instance for evaluation).")
      .def("act", [](rl::SacTrainer& t, const py::object& obs, bool deterministic) {
        rl::SacAgent& agent = t.agent();
        const int d = agent.policy().observation_dim(), a = agent.policy().action_dim();
        std::vector<float> squashed(static_cast<std::size_t>(a));
        return ActBatch(obs, d, a, false, [&](std::span<const float> o, std::span<double> out) {
          agent.Act(o, deterministic, squashed, out);
        });
      }, py::arg("observation"), py::arg("deterministic") = true)
      .def_property_readonly("temperature", [](rl::SacTrainer& t) { return t.agent().temperature(); })
      .def_property_readonly("replay_size", [](rl::SacTrainer& t) { return t.agent().buffer().size(); });

  py::class_<rl::SoftQTrainer, rl::Trainer>(m, "SoftQTrainer", "Soft DQN (the trainer behind cai.SoftDQN and `cai train soft-q`).")
      .def(py::init([](const std::string& env, const py::object& options, std::int64_t total_steps) {
             return std::make_unique<rl::SoftQTrainer>(env, rl::SoftQOptionsFromJson(JsonFrom(options)), total_steps);
           }),
           py::arg("env"), py::arg("options"), py::arg("total_steps"))
      .def_static("from_python_env", [](const py::object& env, const py::object& eval_env, const py::object& options,
                                        std::int64_t total_steps) {
        return std::make_unique<rl::SoftQTrainer>(Wrap(env), Wrap(eval_env), rl::SoftQOptionsFromJson(JsonFrom(options)),
                                                  total_steps);
      }, py::arg("env"), py::arg("eval_env"), py::arg("options"), py::arg("total_steps"))
      .def("act", [](rl::SoftQTrainer& t, const py::object& obs, bool deterministic) {
        rl::SoftQAgent& agent = t.agent();
        return ActBatch(obs, agent.policy().observation_dim(), 1, true, [&](std::span<const float> o, std::span<double> out) {
          out[0] = agent.Act(o, deterministic);
        });
      }, py::arg("observation"), py::arg("deterministic") = true)
      .def_property_readonly("temperature", [](rl::SoftQTrainer& t) { return t.agent().temperature(); });

  py::class_<rl::ActorCriticTrainer, rl::Trainer>(m, "ActorCriticTrainer", "The MaxEnt actor-critic (behind cai.MaxEntActorCritic and `cai train maxent-pg`).")
      .def(py::init([](const std::string& env, const py::object& options, std::int64_t total_steps) {
             return std::make_unique<rl::ActorCriticTrainer>(env, rl::ActorCriticOptionsFromJson(JsonFrom(options)),
                                                             total_steps);
           }),
           py::arg("env"), py::arg("options"), py::arg("total_steps"))
      .def("act", [](rl::ActorCriticTrainer& t, const py::object& obs, bool deterministic) {
        rl::ActorCriticAgent& agent = t.agent();
        const int d = agent.observation_dim(), a = agent.action_dim();
        nn::Matrix column(d, 1);
        double value = 0, bonus = 0;
        return ActBatch(obs, d, a, agent.discrete(), [&](std::span<const float> o, std::span<double> out) {
          if (deterministic) {
            agent.ActDeterministic(o, out);
          } else {
            std::copy(o.begin(), o.end(), column.data());
            agent.Act(column, out, {&value, 1}, {&bonus, 1});
          }
        });
      }, py::arg("observation"), py::arg("deterministic") = true);

  py::class_<LoadedPolicy>(m, "Policy", "A deterministic policy read from a policy file (any algorithm).")
      .def_property_readonly("env", [](const LoadedPolicy& p) { return p.file.env; })
      .def_property_readonly("algorithm", [](const LoadedPolicy& p) { return p.file.algorithm; })
      .def("act", [](LoadedPolicy& p, const py::object& obs) {
        return ActBatch(obs, p.observation_dim, p.action_dim, p.discrete, [&](std::span<const float> o, std::span<double> out) {
          p.file.policy->Act(o, out);
        });
      }, py::arg("observation"))
      .def("evaluate", [](LoadedPolicy& p, int episodes, std::uint64_t seed) {
        auto env = env::MakeEnvironment(p.file.env);
        rl::EvaluationResult e;
        {
          py::gil_scoped_release release;
          e = rl::EvaluatePolicy(*p.file.policy, *env, episodes, seed);
        }
        return EvaluationToDict(e);
      }, py::arg("episodes") = 10, py::arg("seed") = 1000003, "As `cai eval`: deterministic episodes on its env.");

  m.def("load_policy", [](const std::string& path) {
    auto p = std::make_unique<LoadedPolicy>();
    p->file = io::LoadPolicyFile(path);
    const auto env = env::MakeEnvironment(p->file.env);
    p->observation_dim = env->observation_dim();
    p->action_dim = env->action_dim();
    p->discrete = env->action_space().is_discrete();
    return p;
  }, py::arg("path"), "Reads a policy file (or a run directory's policy.safetensors) written by C++ or Python.");

  m.def("read_metadata", [](const std::string& path) { return nn::LoadSafetensors(path).metadata; }, py::arg("path"),
        "The __metadata__ of a safetensors file (checkpoints keep their config under \"config\").");

  m.def("run_training", [](rl::Trainer& t, const std::string& directory, bool resume, std::int64_t checkpoint_interval,
                           std::int64_t eval_interval, int eval_episodes, std::uint64_t eval_seed,
                           std::int64_t log_interval, bool progress) {
    io::RunOptions o;
    o.directory = directory;
    o.checkpoint_interval = checkpoint_interval;
    o.eval_interval = eval_interval;
    o.eval_episodes = eval_episodes;
    o.eval_seed = eval_seed;
    o.log_interval = log_interval;
    o.progress = progress;
    io::RunResult r;
    {
      py::gil_scoped_release release;
      r = resume ? io::ResumeRun(t, o) : io::StartRun(t, o);
    }
    py::dict d = EvaluationToDict(r.final_evaluation);
    d["steps"] = r.steps;
    d["wall_seconds"] = r.wall_seconds;
    d["steps_per_second"] = r.steps_per_second;
    return d;
  }, py::arg("trainer"), py::arg("directory"), py::arg("resume") = false, py::arg("checkpoint_interval") = 10000,
  py::arg("eval_interval") = 5000, py::arg("eval_episodes") = 10, py::arg("eval_seed") = 1000003,
  py::arg("log_interval") = 1000, py::arg("progress") = false,
  "A run directory exactly as `cai train` writes it (config.json, metrics, TensorBoard, checkpoints, "
  "policy.safetensors, eval.json), trained to the trainer's total_steps.");
}

}  // namespace cai::python
