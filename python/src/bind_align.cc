// Alignment on the token world (module align): the submodule cai._core.align behind cai.align.
// The reference model, the exact KL-regularised optimum (by enumeration and token by token),
// Bradley-Terry preference data, the DPO / IPO losses and the PPO / DPO / IPO trainers (tabular and
// MLP policies). Arrays are prompt-major: (P, Y) over responses, (P, N, V) over (prompt, prefix
// node, token). Training runs with the GIL released.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bindings.h"
#include "cai/align/align_trainer.h"
#include "cai/align/demonstration_prior.h"
#include "cai/align/exact_posterior.h"
#include "cai/align/mlp_policy.h"
#include "cai/align/preference.h"
#include "cai/align/token_world.h"
#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/irl/demonstrations.h"
#include "cai/nn/mlp.h"

namespace cai::python {

using namespace cai::align;

namespace {

py::ssize_t P(const TokenWorld& w) { return w.num_prompts(); }
py::ssize_t Y(const TokenWorld& w) { return w.num_responses(); }

// (P, Y) response table.
std::vector<double> ResponseTable(const TokenWorld& w, const py::object& a, const std::string& field) {
  return DoublesFrom(a, field, {P(w), Y(w)});
}
py::array_t<double> ResponseArray(const TokenWorld& w, std::span<const double> v) { return ToArray(v, {P(w), Y(w)}); }
// (P, N, V) next-token table.
py::array_t<double> TokenArray(const TokenWorld& w, std::span<const double> v) {
  return ToArray(v, {P(w), w.num_nodes(), w.vocab_size()});
}

// (N, 2) integer array of (prompt, response) <-> corpus entries.
std::vector<CorpusEntry> CorpusFrom(const py::object& a) {
  const std::vector<double> v = DoublesFrom(a, "corpus", {-1, 2});
  std::vector<CorpusEntry> out;
  for (std::size_t i = 0; i < v.size(); i += 2) out.push_back({static_cast<int>(v[i]), static_cast<int>(v[i + 1])});
  return out;
}
py::array_t<std::int64_t> CorpusArray(const std::vector<CorpusEntry>& c) {
  std::vector<int> v;
  for (const auto& e : c) v.insert(v.end(), {e.prompt, e.response});
  return ToArray(std::span<const int>(v), {static_cast<py::ssize_t>(c.size()), 2});
}
// (N, 3) integer array of (prompt, chosen, rejected) <-> preference pairs.
std::vector<PreferencePair> PairsFrom(const py::object& a) {
  const std::vector<double> v = DoublesFrom(a, "pairs", {-1, 3});
  std::vector<PreferencePair> out;
  for (std::size_t i = 0; i < v.size(); i += 3) {
    out.push_back({static_cast<int>(v[i]), static_cast<int>(v[i + 1]), static_cast<int>(v[i + 2])});
  }
  return out;
}
py::array_t<std::int64_t> PairsArray(const std::vector<PreferencePair>& pairs) {
  std::vector<int> v;
  for (const auto& p : pairs) v.insert(v.end(), {p.prompt, p.chosen, p.rejected});
  return ToArray(std::span<const int>(v), {static_cast<py::ssize_t>(pairs.size()), 3});
}

PreferenceObjective ObjectiveFrom(const std::string& loss, double beta) {
  PreferenceObjective o;
  const AlignMethod m = ParseAlignMethod(loss);
  if (m == AlignMethod::kPpo) throw Error("loss: \"ppo\" is invalid (expected \"dpo\" or \"ipo\")");
  o.loss = m == AlignMethod::kDpo ? PreferenceLoss::kDpo : PreferenceLoss::kIpo;
  o.beta = beta;
  ValidateBeta(beta);
  return o;
}

py::dict MetricsDict(const AlignMetrics& m) {
  py::dict d;
  d["step"] = m.step;
  d["loss"] = m.loss;
  d["reward"] = m.reward;
  d["kl_reference"] = m.kl_reference;
  d["kl_target"] = m.kl_target;
  d["true_reward"] = m.true_reward;
  d["kl_true_target"] = m.kl_true_target;
  return d;
}

AlignOptions OptionsFrom(const std::string& method, double beta, int steps, double learning_rate, std::uint64_t seed,
                         int pairs_per_prompt, const std::string& sampler, int samples_per_prompt, int epochs,
                         double clip) {
  AlignOptions o;
  o.method = ParseAlignMethod(method);
  o.beta = beta;
  o.steps = steps;
  o.learning_rate = learning_rate;
  o.seed = seed;
  o.pairs_per_prompt = pairs_per_prompt;
  o.sampler = ParsePairSampler(sampler);
  o.samples_per_prompt = samples_per_prompt;
  o.epochs = epochs;
  o.clip = clip;
  ValidateAlignOptions(o);
  return o;
}

// Runs `steps` more steps of a trainer with the GIL released; returns the metrics after each.
template <typename Trainer>
py::list RunSteps(Trainer& t, int steps) {
  if (steps < 0) throw Error(fmt::format("steps: {} is invalid (expected an integer >= 0)", steps));
  std::vector<AlignMetrics> rows;
  {
    py::gil_scoped_release release;
    for (int i = 0; i < steps; ++i) rows.push_back(t.Step());
  }
  py::list out;
  for (const auto& r : rows) out.append(MetricsDict(r));
  return out;
}

#define CAI_TRAINER_ARGS                                                                                       \
  py::arg("method") = "ppo", py::arg("beta") = 1.0, py::arg("steps") = 300, py::arg("learning_rate") = 0.05,   \
      py::arg("seed") = 1, py::arg("pairs_per_prompt") = 0, py::arg("sampler") = "reference",                  \
      py::arg("samples_per_prompt") = 64, py::arg("epochs") = 4, py::arg("clip") = 0.2

}  // namespace

CAI_PYTHON_BINDINGS(70, align) {
  py::module_ al = m.def_submodule(
      "align", "KL-regularised alignment on the token world: pi*, preferences, DPO / IPO / PPO, exactly checkable.");

  // ---- The token world and tabular policies ---------------------------------------------------
  py::class_<TokenWorld>(al, "TokenWorld",
                         "Prompts and responses as token sequences (token 0 ends a response; at most max_length "
                         "tokens), few enough to enumerate. Nodes are unfinished prefixes, breadth first.")
      .def(py::init([](int num_prompts, int vocab_size, int max_length) {
             TokenWorldOptions o{num_prompts, vocab_size, max_length};
             ValidateTokenWorldOptions(o);
             return TokenWorld(o);
           }),
           py::arg("num_prompts") = 2, py::arg("vocab_size") = 3, py::arg("max_length") = 3,
           "Validated: num_prompts >= 1, vocab_size >= 2 (token 0 is the end token), max_length >= 1.")
      .def_property_readonly("num_prompts", &TokenWorld::num_prompts, "P.")
      .def_property_readonly("vocab_size", &TokenWorld::vocab_size, "V (token 0 ends a response).")
      .def_property_readonly("max_length", &TokenWorld::max_length, "The most tokens in a response.")
      .def_property_readonly("num_nodes", &TokenWorld::num_nodes, "N: unfinished prefixes (node 0 is the empty one).")
      .def_property_readonly("num_responses", &TokenWorld::num_responses, "Y: complete responses.")
      .def("depth", &TokenWorld::depth, py::arg("node"), "The length of prefix `node`.")
      .def("child", &TokenWorld::Child, py::arg("node"), py::arg("token"),
           "The node reached by emitting `token` at `node`, or -1 if that finishes the response.")
      .def("response", &TokenWorld::Response, py::arg("node"), py::arg("token"),
           "The response finished by emitting `token` at `node`, or -1 if the prefix continues.")
      .def("response_tokens", &TokenWorld::ResponseTokens, py::arg("response"),
           "The tokens of a response (the end token included when it has one).")
      .def("response_text", &TokenWorld::ResponseText, py::arg("response"),
           "Tokens as letters with the end token \"$\", e.g. \"ab$\".")
      .def("__repr__", [](const TokenWorld& w) {
        return fmt::format("<cai.align.TokenWorld: {} prompts, vocab {}, max length {}, {} responses>", w.num_prompts(),
                           w.vocab_size(), w.max_length(), w.num_responses());
      });

  py::class_<TabularPolicy>(al, "TabularPolicy",
                            "pi(y_t | x, y_<t) = softmax of free logits, shape (P, N, V) (prompt, prefix node, token).")
      .def(py::init<const TokenWorld&>(), py::arg("world"), "Zero logits: every next token has probability 1 / V.")
      .def_static("from_token_probabilities",
                  [](const TokenWorld& w, const py::object& probs) {
                    return TabularPolicy::FromTokenProbabilities(
                        w, DoublesFrom(probs, "probabilities", {P(w), w.num_nodes(), w.vocab_size()}));
                  },
                  py::arg("world"), py::arg("probabilities"),
                  "Logits log p for a (P, N, V) table of next-token probabilities (rows summing to 1, entries > 0).")
      .def_property("logits",
                    [](const TabularPolicy& p) { return TokenArray(p.world(), p.logits()); },
                    [](TabularPolicy& p, const py::object& v) {
                      p.logits() = DoublesFrom(v, "logits", {P(p.world()), p.world().num_nodes(), p.world().vocab_size()});
                    },
                    "The logits, shape (P, N, V).")
      .def_property_readonly("world", &TabularPolicy::world, "The TokenWorld.")
      .def("token_probabilities", [](const TabularPolicy& p) { return TokenArray(p.world(), p.TokenProbabilities()); },
           "Next-token probabilities, shape (P, N, V).")
      .def("response_log_probs", [](const TabularPolicy& p) { return ResponseArray(p.world(), p.ResponseLogProbs()); },
           "log pi(y|x), shape (P, Y).")
      .def("sample",
           [](const TabularPolicy& p, int prompt, std::uint64_t seed) {
             Rng rng(seed);
             return p.Sample(prompt, rng);
           },
           py::arg("prompt"), py::arg("seed") = 0, "One response for `prompt`, drawn token by token.");

  al.def("response_log_probs_from_tokens",
         [](const TokenWorld& w, const py::object& probs) {
           return ResponseArray(w, ResponseLogProbsFromTokens(
                                       w, DoublesFrom(probs, "token_probabilities", {P(w), w.num_nodes(), w.vocab_size()})));
         },
         py::arg("world"), py::arg("token_probabilities"), "log pi(y|x) (P, Y) from a (P, N, V) next-token table.");
  al.def("mean_sequence_kl",
         [](const TokenWorld& w, const py::object& log_p, const py::object& log_q) {
           return MeanSequenceKl(w, ResponseTable(w, log_p, "log_p"), ResponseTable(w, log_q, "log_q"));
         },
         py::arg("world"), py::arg("log_p"), py::arg("log_q"),
         "KL(p || q) averaged over the prompts, from (P, Y) response log-probabilities.");
  al.def("mean_reward",
         [](const TokenWorld& w, const py::object& log_p, const py::object& reward) {
           return MeanReward(w, ResponseTable(w, log_p, "log_p"), ResponseTable(w, reward, "reward"));
         },
         py::arg("world"), py::arg("log_p"), py::arg("reward"), "(1 / P) sum_x E_{y ~ p}[R(x, y)].");

  // ---- Pretraining the reference model ---------------------------------------------------------
  al.def("random_policy",
         [](const TokenWorld& w, double scale, std::uint64_t seed) {
           Rng rng(seed);
           return RandomPolicy(w, scale, rng);
         },
         py::arg("world"), py::arg("scale") = 1.0, py::arg("seed") = 0,
         "A teacher language model: logits i.i.d. N(0, scale^2).");
  al.def("sample_corpus",
         [](const TabularPolicy& p, int per_prompt, std::uint64_t seed) {
           Rng rng(seed);
           return CorpusArray(SampleCorpus(p, per_prompt, rng));
         },
         py::arg("policy"), py::arg("per_prompt"), py::arg("seed") = 0,
         "`per_prompt` responses sampled for every prompt: an (N, 2) array of (prompt, response).");
  al.def("fit_maximum_likelihood",
         [](const TokenWorld& w, const py::object& corpus, double smoothing) {
           return FitMaximumLikelihood(w, CorpusFrom(corpus), smoothing);
         },
         py::arg("world"), py::arg("corpus"), py::arg("smoothing") = 0.0,
         "Pretraining pi_ref: the add-`smoothing` maximum-likelihood next-token table of an (N, 2) corpus.");
  al.def("make_reward",
         [](const TokenWorld& w, const std::string& name, std::uint64_t seed) {
           return ResponseArray(w, MakeReward(w, name, seed));
         },
         py::arg("world"), py::arg("name"), py::arg("seed") = 0,
         "A built-in reward R(x, y), shape (P, Y): \"length\", \"count\" or \"random\" (seeded).");

  // ---- The exact optimum pi* -------------------------------------------------------------------
  al.def("enumerated_posterior",
         [](const TokenWorld& w, const py::object& reference_log_probs, const py::object& reward, double beta) {
           const SequencePosterior s = EnumeratedPosterior(w, ResponseTable(w, reference_log_probs, "reference_log_probs"),
                                                           ResponseTable(w, reward, "reward"), beta);
           py::dict out;
           out["log_probs"] = ResponseArray(w, s.log_probs);
           out["log_partition"] = ToArray(s.log_partition, {P(w)});
           return out;
         },
         py::arg("world"), py::arg("reference_log_probs"), py::arg("reward"), py::arg("beta"),
         "pi*(y|x) = pi_ref(y|x) exp(R(x, y) / beta) / Z(x) by enumeration: dict log_probs (P, Y), log_partition (P,).");
  al.def("soft_value_iteration_posterior",
         [](const TabularPolicy& reference, const py::object& reward, double beta) {
           const TokenWorld& w = reference.world();
           const std::vector<double> r = ResponseTable(w, reward, "reward");
           TokenPosterior t;
           {
             py::gil_scoped_release release;
             t = SoftValueIterationPosterior(w, reference, r, beta);
           }
           py::dict out;
           out["token_probabilities"] = TokenArray(w, t.token_probabilities);
           out["log_partition"] = ToArray(t.log_partition, {P(w)});
           return out;
         },
         py::arg("reference"), py::arg("reward"), py::arg("beta"),
         "pi* token by token: finite-horizon soft value iteration on the token MDP with pi_ref as the action prior. "
         "dict token_probabilities (P, N, V), log_partition (P,).");
  al.def("make_token_mdp",
         [](const TokenWorld& w, const py::object& reward) { return MakeTokenMdp(w, ResponseTable(w, reward, "reward")); },
         py::arg("world"), py::arg("reward"),
         "The token-level cai.Mdp: state x * N + n, action = token, finishing tokens end with reward R(x, y).");

  // ---- Preferences -----------------------------------------------------------------------------
  al.def("bradley_terry_probability", &BradleyTerryProbability, py::arg("reward_first"), py::arg("reward_second"),
         "p(first preferred) = sigmoid(reward_first - reward_second).");
  al.def("sampler_log_probs",
         [](const TokenWorld& w, const std::string& sampler, const py::object& reference_log_probs) {
           return ResponseArray(w, SamplerLogProbs(w, ParsePairSampler(sampler),
                                                   ResponseTable(w, reference_log_probs, "reference_log_probs")));
         },
         py::arg("world"), py::arg("sampler"), py::arg("reference_log_probs"),
         "log mu(y|x) (P, Y) of the pair sampler \"reference\" (pi_ref) or \"uniform\".");
  al.def("sample_preference_pairs",
         [](const TokenWorld& w, const py::object& sampler_log_probs, const py::object& reward, int per_prompt,
            std::uint64_t seed) {
           Rng rng(seed);
           return PairsArray(SamplePreferencePairs(w, ResponseTable(w, sampler_log_probs, "sampler_log_probs"),
                                                   ResponseTable(w, reward, "reward"), per_prompt, rng));
         },
         py::arg("world"), py::arg("sampler_log_probs"), py::arg("reward"), py::arg("per_prompt"), py::arg("seed") = 0,
         "Bradley-Terry labelled pairs, y, y' ~ mu(.|x): an (N, 3) array of (prompt, chosen, rejected).");
  al.def("pair_weights",
         [](const TokenWorld& w, const py::object& pairs) {
           return ToArray(PairWeights(w, PairsFrom(pairs)), {P(w), Y(w), Y(w)});
         },
         py::arg("world"), py::arg("pairs"), "Counts of (x, chosen, rejected) / number of pairs, shape (P, Y, Y).");
  al.def("population_pair_weights",
         [](const TokenWorld& w, const py::object& sampler_log_probs, const py::object& reward) {
           return ToArray(PopulationPairWeights(w, ResponseTable(w, sampler_log_probs, "sampler_log_probs"),
                                                ResponseTable(w, reward, "reward")),
                          {P(w), Y(w), Y(w)});
         },
         py::arg("world"), py::arg("sampler_log_probs"), py::arg("reward"),
         "mu(y|x) mu(y'|x) p(y > y' | x) / P, shape (P, Y, Y).");
  al.def("preference_loss",
         [](const TokenWorld& w, const py::object& log_probs, const py::object& reference_log_probs,
            const py::object& pairs, const std::string& loss, double beta) {
           const PreferenceObjective o = ObjectiveFrom(loss, beta);
           std::vector<double> g(static_cast<std::size_t>(P(w) * Y(w)));
           const double value =
               SampledPreferenceLoss(w, o, ResponseTable(w, log_probs, "log_probs"),
                                     ResponseTable(w, reference_log_probs, "reference_log_probs"), PairsFrom(pairs), g);
           return py::make_tuple(value, ResponseArray(w, g));
         },
         py::arg("world"), py::arg("log_probs"), py::arg("reference_log_probs"), py::arg("pairs"),
         py::arg("loss") = "dpo", py::arg("beta") = 1.0,
         "Mean DPO (-log sigmoid(beta h)) or IPO ((h - 1 / (2 beta))^2) loss over (N, 3) pairs, and its gradient "
         "with respect to log pi(y|x), shape (P, Y).");
  al.def("weighted_preference_loss",
         [](const TokenWorld& w, const py::object& log_probs, const py::object& reference_log_probs,
            const py::object& pair_weights, const std::string& loss, double beta) {
           const PreferenceObjective o = ObjectiveFrom(loss, beta);
           std::vector<double> g(static_cast<std::size_t>(P(w) * Y(w)));
           const double value = WeightedPreferenceLoss(
               w, o, ResponseTable(w, log_probs, "log_probs"), ResponseTable(w, reference_log_probs, "reference_log_probs"),
               DoublesFrom(pair_weights, "pair_weights", {P(w), Y(w), Y(w)}), g);
           return py::make_tuple(value, ResponseArray(w, g));
         },
         py::arg("world"), py::arg("log_probs"), py::arg("reference_log_probs"), py::arg("pair_weights"),
         py::arg("loss") = "dpo", py::arg("beta") = 1.0,
         "sum_{x, y, y'} weight loss(h(y, y')) with (P, Y, Y) weights, and its gradient (P, Y).");
  al.def("population_preference_loss",
         [](const TokenWorld& w, const py::object& log_probs, const py::object& reference_log_probs,
            const py::object& sampler_log_probs, const py::object& reward, const std::string& loss, double beta) {
           const PreferenceObjective o = ObjectiveFrom(loss, beta);
           std::vector<double> g(static_cast<std::size_t>(P(w) * Y(w)));
           const double value = PopulationPreferenceLoss(
               w, o, ResponseTable(w, log_probs, "log_probs"), ResponseTable(w, reference_log_probs, "reference_log_probs"),
               ResponseTable(w, sampler_log_probs, "sampler_log_probs"), ResponseTable(w, reward, "reward"), g);
           return py::make_tuple(value, ResponseArray(w, g));
         },
         py::arg("world"), py::arg("log_probs"), py::arg("reference_log_probs"), py::arg("sampler_log_probs"),
         py::arg("reward"), py::arg("loss") = "dpo", py::arg("beta") = 1.0,
         "The infinite-data DPO / IPO loss and its gradient (P, Y).");
  al.def("ipo_optimum",
         [](const TokenWorld& w, const py::object& reference_log_probs, const py::object& sampler_log_probs,
            const py::object& reward, double beta) {
           return ResponseArray(w, IpoOptimum(w, ResponseTable(w, reference_log_probs, "reference_log_probs"),
                                              ResponseTable(w, sampler_log_probs, "sampler_log_probs"),
                                              ResponseTable(w, reward, "reward"), beta));
         },
         py::arg("world"), py::arg("reference_log_probs"), py::arg("sampler_log_probs"), py::arg("reward"),
         py::arg("beta"), "log pi(y|x) (P, Y) minimising the population IPO loss.");
  al.def("bradley_terry_loss",
         [](const TokenWorld& w, const py::object& reward_model, const py::object& pair_weights) {
           std::vector<double> g(static_cast<std::size_t>(P(w) * Y(w)));
           const double value = BradleyTerryLoss(w, ResponseTable(w, reward_model, "reward_model"),
                                                 DoublesFrom(pair_weights, "pair_weights", {P(w), Y(w), Y(w)}), g);
           return py::make_tuple(value, ResponseArray(w, g));
         },
         py::arg("world"), py::arg("reward_model"), py::arg("pair_weights"),
         "Bradley-Terry negative log-likelihood of a (P, Y) reward model, and its gradient.");
  al.def("fit_reward_model",
         [](const TokenWorld& w, const py::object& pair_weights, int steps, double learning_rate) {
           const std::vector<double> pw = DoublesFrom(pair_weights, "pair_weights", {P(w), Y(w), Y(w)});
           std::vector<double> r;
           {
             py::gil_scoped_release release;
             r = FitRewardModel(w, pw, steps, learning_rate);
           }
           return ResponseArray(w, r);
         },
         py::arg("world"), py::arg("pair_weights"), py::arg("steps") = kRewardModelSteps,
         py::arg("learning_rate") = kRewardModelLearningRate,
         "Maximum-likelihood reward model (P, Y), each prompt's row centred.");

  // ---- Priors from behaviour ---------------------------------------------------------------------
  al.def("behaviour_cloning_prior",
         [](int num_states, int num_actions, const std::vector<Demonstration>& demos, double smoothing) {
           std::vector<Trajectory> trajectories;
           for (const auto& d : demos) trajectories.push_back({d.states, d.actions, {}, false});
           const ActionPrior p = BehaviourCloningPrior(num_states, num_actions, trajectories, smoothing);
           return ToArray(p.table(), {num_states, num_actions});
         },
         py::arg("num_states"), py::arg("num_actions"), py::arg("demos"), py::arg("smoothing") = 1.0,
         "Behaviour cloning: p(a|s) = (n(s, a) + smoothing) / (n(s) + A smoothing) from cai.irl.Demonstration "
         "objects, as an (S, A) prior table (usable as `prior=`).");
  al.def("policy_prior",
         [](const py::object& policy, double uniform_mix) {
           const std::vector<py::ssize_t> shape = ShapeOf(policy);
           if (shape.size() != 2) throw Error("policy: expected an (S, A) array");
           const int S = static_cast<int>(shape[0]), A = static_cast<int>(shape[1]);
           const ActionPrior p = PolicyPrior(S, A, DoublesFrom(policy, "policy", {S, A}), uniform_mix);
           return ToArray(p.table(), {S, A});
         },
         py::arg("policy"), py::arg("uniform_mix") = 0.0,
         "Transfer: (1 - uniform_mix) pi + uniform_mix / A as an (S, A) prior table (usable as `prior=`).");

  // ---- The problem and the trainers -----------------------------------------------------------
  py::class_<AlignProblem>(al, "Problem",
                           "A token world, a reference model pretrained on a teacher's corpus and a built-in reward "
                           "(optionally replaced by a reward model fitted to Bradley-Terry pairs).")
      .def(py::init([](int num_prompts, int vocab_size, int max_length, const std::string& reward, double teacher_scale,
                       int corpus_per_prompt, double smoothing, std::uint64_t seed, int reward_model_pairs) {
             AlignProblemOptions o;
             o.world = {num_prompts, vocab_size, max_length};
             o.reward = reward;
             o.teacher_scale = teacher_scale;
             o.corpus_per_prompt = corpus_per_prompt;
             o.smoothing = smoothing;
             o.seed = seed;
             o.reward_model_pairs = reward_model_pairs;
             ValidateAlignProblemOptions(o);
             py::gil_scoped_release release;
             return MakeAlignProblem(o);
           }),
           py::arg("num_prompts") = 2, py::arg("vocab_size") = 3, py::arg("max_length") = 3, py::arg("reward") = "length",
           py::arg("teacher_scale") = 1.0, py::arg("corpus_per_prompt") = 200, py::arg("smoothing") = 0.5,
           py::arg("seed") = 1, py::arg("reward_model_pairs") = 0,
           "As `cai align`: reward is a make_reward name; reward_model_pairs N > 0 optimises a reward model fitted "
           "to N Bradley-Terry pairs per prompt instead of the true reward.")
      .def_readonly("world", &AlignProblem::world, "The TokenWorld.")
      .def_readonly("reference", &AlignProblem::reference, "pi_ref as a TabularPolicy.")
      .def_property_readonly("reference_log_probs", [](const AlignProblem& p) {
        return ResponseArray(p.world, p.reference_log_probs);
      }, "log pi_ref(y|x), shape (P, Y).")
      .def_property_readonly("reward", [](const AlignProblem& p) { return ResponseArray(p.world, p.reward); },
                             "The optimised reward (P, Y): R, or the reward model.")
      .def_property_readonly("true_reward", [](const AlignProblem& p) { return ResponseArray(p.world, p.true_reward); },
                             "R (P, Y).")
      .def_readonly("reward_model_error", &AlignProblem::reward_model_error,
                    "RMS error of the centred reward model (0 without one).")
      .def("measure",
           [](const AlignProblem& p, const py::object& log_probs, const py::object& target,
              const py::object& true_target) {
             return MetricsDict(MeasureAlignment(p, ResponseTable(p.world, log_probs, "log_probs"),
                                                 ResponseTable(p.world, target, "target"),
                                                 ResponseTable(p.world, true_target, "true_target"), 0, 0.0));
           },
           py::arg("log_probs"), py::arg("target"), py::arg("true_target"),
           "The metrics (reward, kl_reference, kl_target, true_reward, kl_true_target) of a policy's (P, Y) "
           "log-probabilities against (P, Y) log-probability targets.");

  py::class_<AlignTrainer>(al, "Trainer",
                           "PPO (KL-regularised policy gradient, clipped surrogate), DPO or IPO on a tabular policy "
                           "started at pi_ref, measured exactly against its target (pi*, or the IPO optimum).")
      .def(py::init([](const AlignProblem& problem, const std::string& method, double beta, int steps,
                       double learning_rate, std::uint64_t seed, int pairs_per_prompt, const std::string& sampler,
                       int samples_per_prompt, int epochs, double clip) {
             return std::make_unique<AlignTrainer>(
                 problem, OptionsFrom(method, beta, steps, learning_rate, seed, pairs_per_prompt, sampler,
                                      samples_per_prompt, epochs, clip));
           }),
           py::keep_alive<1, 2>(), py::arg("problem"), CAI_TRAINER_ARGS,
           "method \"ppo\" / \"dpo\" / \"ipo\"; pairs_per_prompt 0 trains on the population loss; sampler "
           "\"reference\" or \"uniform\"; samples_per_prompt 0 is PPO's exact expectation. `steps` is the length "
           "of a full run (train() without an argument).")
      .def("step", [](AlignTrainer& t) {
        AlignMetrics metrics;
        {
          py::gil_scoped_release release;
          metrics = t.Step();
        }
        return MetricsDict(metrics);
      }, "One iteration; returns the metrics after it.")
      .def("train", [](AlignTrainer& t, int steps) { return RunSteps(t, steps); }, py::arg("steps"),
           "`steps` more iterations (GIL released); a list of the metrics after each.")
      .def("evaluate", [](const AlignTrainer& t) { return MetricsDict(t.Evaluate()); },
           "The metrics of the current policy.")
      .def_property_readonly("steps_done", &AlignTrainer::steps_done, "Iterations done so far.")
      .def_property_readonly("policy", [](const AlignTrainer& t) { return TabularPolicy(t.policy()); },
                             "A copy of the current TabularPolicy.")
      .def("response_log_probs", [](const AlignTrainer& t) {
        return ResponseArray(t.policy().world(), t.policy().ResponseLogProbs());
      }, "log pi(y|x) of the current policy, shape (P, Y).")
      .def_property_readonly("target_log_probs", [](const AlignTrainer& t) {
        return ResponseArray(t.policy().world(), t.target_log_probs());
      }, "log target(y|x): pi* (PPO, DPO) or the IPO optimum (IPO), shape (P, Y).")
      .def("checkpoint", [](const AlignTrainer& t) { return JsonTo(t.Checkpoint()); },
           "Logits, Adam state, Rng state and step count as a dict (restore() continues exactly).")
      .def("restore", [](AlignTrainer& t, const py::object& c) { t.Restore(JsonFrom(c)); }, py::arg("checkpoint"),
           "Restores a checkpoint() dict; raises CaiError if it does not fit this trainer.");

  py::class_<MlpPreferenceTrainer>(al, "MlpTrainer",
                                   "DPO or IPO on a small MLP policy (float32, full-batch Adam), from its random "
                                   "initialisation; measured against the tabular trainer's target.")
      .def(py::init([](const AlignProblem& problem, const std::string& method, double beta, int steps,
                       double learning_rate, std::uint64_t seed, int pairs_per_prompt, const std::string& sampler,
                       int samples_per_prompt, int epochs, double clip, const std::vector<int>& hidden,
                       const std::string& activation, std::uint64_t policy_seed) {
             MlpPolicyOptions p;
             p.hidden = hidden;
             p.activation = nn::ParseActivation(activation);
             p.seed = policy_seed;
             ValidateMlpPolicyOptions(p);
             return std::make_unique<MlpPreferenceTrainer>(
                 problem,
                 OptionsFrom(method, beta, steps, learning_rate, seed, pairs_per_prompt, sampler, samples_per_prompt,
                             epochs, clip),
                 p);
           }),
           py::keep_alive<1, 2>(), py::arg("problem"), py::arg("method") = "dpo", py::arg("beta") = 1.0,
           py::arg("steps") = 300, py::arg("learning_rate") = 0.05, py::arg("seed") = 1, py::arg("pairs_per_prompt") = 0,
           py::arg("sampler") = "reference", py::arg("samples_per_prompt") = 64, py::arg("epochs") = 4,
           py::arg("clip") = 0.2, py::arg("hidden") = std::vector<int>{64}, py::arg("activation") = "tanh",
           py::arg("policy_seed") = 1,
           "method \"dpo\" or \"ipo\" (PPO is not offered on the MLP); hidden layer sizes and activation "
           "(\"tanh\", \"relu\", \"elu\", \"identity\") of the network; policy_seed initialises its weights.")
      .def("step", [](MlpPreferenceTrainer& t) {
        AlignMetrics metrics;
        {
          py::gil_scoped_release release;
          metrics = t.Step();
        }
        return MetricsDict(metrics);
      }, "One full-batch step; returns the metrics after it.")
      .def("train", [](MlpPreferenceTrainer& t, int steps) { return RunSteps(t, steps); }, py::arg("steps"),
           "`steps` more steps (GIL released); a list of the metrics after each.")
      .def("evaluate", [](const MlpPreferenceTrainer& t) { return MetricsDict(t.Evaluate()); },
           "The metrics of the current policy.")
      .def_property_readonly("policy", [](const MlpPreferenceTrainer& t) { return t.policy().Tabulate(); },
                             "The network tabulated: a TabularPolicy with the same next-token distributions.")
      .def("response_log_probs", [](const MlpPreferenceTrainer& t) {
        return ResponseArray(t.policy().world(), t.policy().ResponseLogProbs());
      }, "log pi(y|x) of the network, shape (P, Y).");
}

}  // namespace cai::python
