#include "cai/align/token_world.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/numerics.h"

namespace cai::align {

void ValidateTokenWorldOptions(const TokenWorldOptions& o) {
  if (o.num_prompts < 1 || o.num_prompts > 1000) {
    throw Error(fmt::format("num_prompts: {} is invalid (expected an integer in [1, 1000])", o.num_prompts));
  }
  if (o.vocab_size < 2 || o.vocab_size > 64) {
    throw Error(fmt::format("vocab_size: {} is invalid (expected an integer in [2, 64], the end token included)",
                            o.vocab_size));
  }
  if (o.max_length < 1) {
    throw Error(fmt::format("max_length: {} is invalid (expected an integer >= 1)", o.max_length));
  }
  // Nodes: sum_{d < L} (V - 1)^d; entries nodes * V.
  double nodes = 0.0;
  double level = 1.0;
  for (int d = 0; d < o.max_length; ++d) {
    nodes += level;
    level *= static_cast<double>(o.vocab_size - 1);
  }
  if (nodes * o.vocab_size > 1e6) {
    throw Error(fmt::format("max_length: {} with vocab_size {} gives {:.0f} (prefix, token) entries per prompt "
                            "(expected at most 10^6 so that every response can be enumerated)",
                            o.max_length, o.vocab_size, nodes * o.vocab_size));
  }
}

TokenWorld::TokenWorld(const TokenWorldOptions& options) : options_(options) {
  ValidateTokenWorldOptions(options);
  const int v = options.vocab_size;
  depth_.push_back(0);
  parent_.push_back(-1);
  parent_token_.push_back(-1);
  for (int n = 0; n < static_cast<int>(depth_.size()); ++n) {  // breadth first: grows while iterating
    for (int a = 0; a < v; ++a) {
      const bool finishes = a == kEndToken || depth_[static_cast<std::size_t>(n)] + 1 == options.max_length;
      if (finishes) {
        child_.push_back(-1);
        response_.push_back(static_cast<int>(response_node_.size()));
        response_node_.push_back(n);
        response_token_.push_back(a);
      } else {
        child_.push_back(static_cast<int>(depth_.size()));
        response_.push_back(-1);
        depth_.push_back(depth_[static_cast<std::size_t>(n)] + 1);
        parent_.push_back(n);
        parent_token_.push_back(a);
      }
    }
  }
}

std::vector<int> TokenWorld::ResponseTokens(int response) const {
  std::vector<int> tokens{ResponseToken(response)};
  for (int n = ResponseNode(response); n > 0; n = parent_[static_cast<std::size_t>(n)]) {
    tokens.push_back(parent_token_[static_cast<std::size_t>(n)]);
  }
  std::reverse(tokens.begin(), tokens.end());
  return tokens;
}

std::string TokenWorld::ResponseText(int response) const {
  std::string text;
  for (int t : ResponseTokens(response)) text += t == kEndToken ? '$' : static_cast<char>('a' + t - 1);
  return text;
}

TabularPolicy::TabularPolicy(const TokenWorld& world)
    : world_(world),
      logits_(static_cast<std::size_t>(world.num_prompts()) * world.Slot(world.num_nodes(), 0), 0.0) {}

TabularPolicy TabularPolicy::FromTokenProbabilities(const TokenWorld& world, std::span<const double> probabilities) {
  TabularPolicy policy(world);
  if (probabilities.size() != policy.logits_.size()) {
    throw Error(fmt::format("token probabilities: {} entries (expected {} = prompts x nodes x tokens)",
                            probabilities.size(), policy.logits_.size()));
  }
  const auto v = static_cast<std::size_t>(world.vocab_size());
  for (std::size_t row = 0; row * v < probabilities.size(); ++row) {
    double sum = 0.0;
    for (std::size_t a = 0; a < v; ++a) {
      const double p = probabilities[row * v + a];
      if (!(std::isfinite(p) && p > 0.0)) {
        throw Error(fmt::format("token probabilities: row {} entry {} is {} (expected a number > 0)", row, a, p));
      }
      sum += p;
      policy.logits_[row * v + a] = std::log(p);
    }
    if (std::abs(sum - 1.0) > 1e-9) {
      throw Error(fmt::format("token probabilities: row {} sums to {} (expected 1)", row, sum));
    }
  }
  return policy;
}

std::vector<double> TabularPolicy::TokenProbabilities() const {
  std::vector<double> probs(logits_.size());
  const auto v = static_cast<std::size_t>(world_.vocab_size());
  for (std::size_t row = 0; row * v < logits_.size(); ++row) {
    SoftArgMax(std::span<const double>(logits_).subspan(row * v, v), 1.0, {},
               std::span<double>(probs).subspan(row * v, v));
  }
  return probs;
}

std::vector<double> ResponseLogProbsFromTokens(const TokenWorld& world, std::span<const double> token_probabilities) {
  const int nodes = world.num_nodes();
  const int v = world.vocab_size();
  const int r_count = world.num_responses();
  std::vector<double> out(static_cast<std::size_t>(world.num_prompts()) * static_cast<std::size_t>(r_count));
  std::vector<double> prefix(static_cast<std::size_t>(nodes));
  for (int x = 0; x < world.num_prompts(); ++x) {
    const std::size_t base = static_cast<std::size_t>(x) * world.Slot(nodes, 0);
    prefix[0] = 0.0;
    for (int n = 0; n < nodes; ++n) {
      for (int a = 0; a < v; ++a) {
        const double lp = prefix[static_cast<std::size_t>(n)] + std::log(token_probabilities[base + world.Slot(n, a)]);
        const int child = world.Child(n, a);
        if (child >= 0) {
          prefix[static_cast<std::size_t>(child)] = lp;
        } else {
          out[static_cast<std::size_t>(x) * static_cast<std::size_t>(r_count) +
              static_cast<std::size_t>(world.Response(n, a))] = lp;
        }
      }
    }
  }
  return out;
}

std::vector<double> TabularPolicy::ResponseLogProbs() const {
  return ResponseLogProbsFromTokens(world_, TokenProbabilities());
}

int TabularPolicy::Sample(int prompt, Rng& rng) const {
  const auto v = static_cast<std::size_t>(world_.vocab_size());
  std::vector<double> probs(v);
  int node = 0;
  while (true) {
    SoftArgMax(std::span<const double>(logits_).subspan(Index(prompt, node, 0), v), 1.0, {}, probs);
    const int a = static_cast<int>(rng.Categorical(probs));
    const int child = world_.Child(node, a);
    if (child < 0) return world_.Response(node, a);
    node = child;
  }
}

void TabularPolicy::BackpropResponseLogProbs(std::span<const double> d_log_probs, std::span<double> d_logits) const {
  const int nodes = world_.num_nodes();
  const int v = world_.vocab_size();
  const auto r_count = static_cast<std::size_t>(world_.num_responses());
  const std::vector<double> probs = TokenProbabilities();
  std::vector<double> subtree(static_cast<std::size_t>(nodes));  // sum of g over responses below node n
  for (int x = 0; x < world_.num_prompts(); ++x) {
    const std::size_t base = static_cast<std::size_t>(x) * world_.Slot(nodes, 0);
    for (int n = nodes - 1; n >= 0; --n) {  // children have larger indices
      double total = 0.0;
      for (int a = 0; a < v; ++a) {
        const int child = world_.Child(n, a);
        const double c = child >= 0 ? subtree[static_cast<std::size_t>(child)]
                                    : d_log_probs[static_cast<std::size_t>(x) * r_count +
                                                  static_cast<std::size_t>(world_.Response(n, a))];
        d_logits[base + world_.Slot(n, a)] = c;
        total += c;
      }
      subtree[static_cast<std::size_t>(n)] = total;
      for (int a = 0; a < v; ++a) d_logits[base + world_.Slot(n, a)] -= probs[base + world_.Slot(n, a)] * total;
    }
  }
}

double MeanSequenceKl(const TokenWorld& world, std::span<const double> log_p, std::span<const double> log_q) {
  double kl = 0.0;
  for (std::size_t i = 0; i < log_p.size(); ++i) {
    if (log_p[i] == kNegInf) continue;
    kl += std::exp(log_p[i]) * (log_p[i] - log_q[i]);
  }
  return kl / world.num_prompts();
}

double MeanReward(const TokenWorld& world, std::span<const double> log_p, std::span<const double> reward) {
  double total = 0.0;
  for (std::size_t i = 0; i < log_p.size(); ++i) total += std::exp(log_p[i]) * reward[i];
  return total / world.num_prompts();
}

TabularPolicy RandomPolicy(const TokenWorld& world, double scale, Rng& rng) {
  TabularPolicy policy(world);
  for (double& l : policy.logits()) l = scale * rng.Normal();
  return policy;
}

std::vector<CorpusEntry> SampleCorpus(const TabularPolicy& policy, int per_prompt, Rng& rng) {
  if (per_prompt < 1) throw Error(fmt::format("corpus size: {} per prompt (expected >= 1)", per_prompt));
  std::vector<CorpusEntry> corpus;
  for (int x = 0; x < policy.world().num_prompts(); ++x) {
    for (int i = 0; i < per_prompt; ++i) corpus.push_back({x, policy.Sample(x, rng)});
  }
  return corpus;
}

TabularPolicy FitMaximumLikelihood(const TokenWorld& world, std::span<const CorpusEntry> corpus, double smoothing) {
  if (!(std::isfinite(smoothing) && smoothing >= 0.0)) {
    throw Error(fmt::format("smoothing: {} is invalid (expected a finite number >= 0)", smoothing));
  }
  const int nodes = world.num_nodes();
  const auto v = static_cast<std::size_t>(world.vocab_size());
  std::vector<double> counts(static_cast<std::size_t>(world.num_prompts()) * world.Slot(nodes, 0), 0.0);
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    const CorpusEntry& e = corpus[i];
    if (e.prompt < 0 || e.prompt >= world.num_prompts() || e.response < 0 || e.response >= world.num_responses()) {
      throw Error(fmt::format("corpus[{}]: (prompt {}, response {}) is outside the world ({} prompts, {} responses)",
                              i, e.prompt, e.response, world.num_prompts(), world.num_responses()));
    }
    const std::size_t base = static_cast<std::size_t>(e.prompt) * world.Slot(nodes, 0);
    int node = 0;
    for (int t : world.ResponseTokens(e.response)) {
      counts[base + world.Slot(node, t)] += 1.0;
      node = world.Child(node, t);
    }
  }
  TabularPolicy policy(world);
  for (std::size_t row = 0; row * v < counts.size(); ++row) {
    double total = 0.0;
    for (std::size_t a = 0; a < v; ++a) total += counts[row * v + a] + smoothing;
    for (std::size_t a = 0; a < v; ++a) {
      // Unreached rows with smoothing 0 stay at zero logits (uniform).
      policy.logits()[row * v + a] = total > 0.0 ? std::log((counts[row * v + a] + smoothing) / total) : 0.0;
    }
  }
  return policy;
}

std::vector<double> MakeReward(const TokenWorld& world, const std::string& name, std::uint64_t seed) {
  const auto r_count = static_cast<std::size_t>(world.num_responses());
  std::vector<double> reward(static_cast<std::size_t>(world.num_prompts()) * r_count);
  Rng rng(seed);
  for (int x = 0; x < world.num_prompts(); ++x) {
    for (int r = 0; r < world.num_responses(); ++r) {
      const std::vector<int> tokens = world.ResponseTokens(r);
      double value = 0.0;
      if (name == "length") {
        const auto words = std::count_if(tokens.begin(), tokens.end(), [](int t) { return t != TokenWorld::kEndToken; });
        value = (x % 2 == 0 ? 1.0 : -1.0) * static_cast<double>(words) / world.max_length();
      } else if (name == "count") {
        const auto ones = std::count(tokens.begin(), tokens.end(), 1);
        const auto twos = std::count(tokens.begin(), tokens.end(), 2);
        value = static_cast<double>(ones - twos) / world.max_length();
      } else if (name == "random") {
        value = rng.Normal();
      } else {
        throw Error(fmt::format("reward: \"{}\" is unknown (expected length, count or random)", name));
      }
      reward[static_cast<std::size_t>(x) * r_count + static_cast<std::size_t>(r)] = value;
    }
  }
  return reward;
}

}  // namespace cai::align
