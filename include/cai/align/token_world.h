// A small language-model world, solvable exactly: prompts, responses as token sequences with an
// end token and a maximum length (few enough to enumerate), and a tabular autoregressive policy.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cai/core/rng.h"

namespace cai::align {

struct TokenWorldOptions {
  int num_prompts = 2;  ///< prompts x = 0..num_prompts-1, drawn uniformly
  int vocab_size = 3;   ///< tokens 0..vocab_size-1; token 0 is the end token
  int max_length = 3;   ///< a response stops at the end token or after max_length tokens
};

/// Throws cai::Error naming the field unless num_prompts >= 1, vocab_size >= 2, max_length >= 1 and
/// the prefix tree has at most 10^6 (prefix, token) entries per prompt.
void ValidateTokenWorldOptions(const TokenWorldOptions& options);

/// The prefix tree shared by every prompt. A node is an unfinished prefix (no end token, length
/// < max_length), numbered breadth first (node 0 is the empty prefix, parents before children).
/// Emitting token a at node n either finishes the response (a is the end token, or the prefix has
/// length max_length - 1) or moves to the child node. Responses y are the finishing (node, token)
/// pairs, numbered in (node, token) order; every response has probability
/// pi(y|x) = prod_t pi(y_t | x, y_<t).
class TokenWorld {
 public:
  static constexpr int kEndToken = 0;
  explicit TokenWorld(const TokenWorldOptions& options);

  const TokenWorldOptions& options() const { return options_; }
  int num_prompts() const { return options_.num_prompts; }
  int vocab_size() const { return options_.vocab_size; }
  int max_length() const { return options_.max_length; }
  int num_nodes() const { return static_cast<int>(depth_.size()); }
  int num_responses() const { return static_cast<int>(response_node_.size()); }
  int depth(int node) const { return depth_[static_cast<std::size_t>(node)]; }
  /// The child reached by emitting `token` at `node`, or -1 if that finishes the response.
  int Child(int node, int token) const { return child_[Slot(node, token)]; }
  /// The response finished by emitting `token` at `node`, or -1 if the prefix continues.
  int Response(int node, int token) const { return response_[Slot(node, token)]; }
  int ResponseNode(int response) const { return response_node_[static_cast<std::size_t>(response)]; }
  int ResponseToken(int response) const { return response_token_[static_cast<std::size_t>(response)]; }
  /// The tokens of response r, the end token included when it has one.
  std::vector<int> ResponseTokens(int response) const;
  /// Tokens as letters "a", "b", ... with the end token written "$", e.g. "ab$".
  std::string ResponseText(int response) const;
  /// Index of (node, token) in node-major tables of size num_nodes x vocab_size.
  std::size_t Slot(int node, int token) const {
    return static_cast<std::size_t>(node) * static_cast<std::size_t>(options_.vocab_size) +
           static_cast<std::size_t>(token);
  }

 private:
  TokenWorldOptions options_;
  std::vector<int> depth_;
  std::vector<int> parent_;
  std::vector<int> parent_token_;
  std::vector<int> child_;
  std::vector<int> response_;
  std::vector<int> response_node_;
  std::vector<int> response_token_;
};

/// pi(y_t | x, y_<t) = softmax of free logits, one row per (prompt, node): num_prompts x num_nodes
/// x vocab_size parameters. Zero logits give every next token probability 1 / vocab_size.
class TabularPolicy {
 public:
  explicit TabularPolicy(const TokenWorld& world);
  /// Logits log p for a table of next-token probabilities (prompt x node x token, rows summing to 1
  /// within 1e-9, entries > 0); throws cai::Error naming the row otherwise.
  static TabularPolicy FromTokenProbabilities(const TokenWorld& world, std::span<const double> probabilities);

  const TokenWorld& world() const { return world_; }
  std::vector<double>& logits() { return logits_; }
  const std::vector<double>& logits() const { return logits_; }
  std::size_t Index(int prompt, int node, int token) const {
    return static_cast<std::size_t>(prompt) * world_.Slot(world_.num_nodes(), 0) + world_.Slot(node, token);
  }
  /// Next-token probabilities, prompt x node x token.
  std::vector<double> TokenProbabilities() const;
  /// log pi(y|x) for every prompt and response, prompt-major (num_prompts x num_responses).
  std::vector<double> ResponseLogProbs() const;
  /// Draws a response for `prompt` token by token.
  int Sample(int prompt, Rng& rng) const;
  /// Chain rule through the autoregressive factorisation: given g(x, y) = dL/d log pi(y|x)
  /// (num_prompts x num_responses), writes dL/dlogits (same layout as logits()), using
  /// d log pi(y|x) / d logit(x, n, b) = [y passes (n, b)] - pi(b | x, n) [y passes n].
  void BackpropResponseLogProbs(std::span<const double> d_log_probs, std::span<double> d_logits) const;

 private:
  TokenWorld world_;
  std::vector<double> logits_;
};

/// log pi(y|x) from a table of next-token probabilities (prompt x node x token).
std::vector<double> ResponseLogProbsFromTokens(const TokenWorld& world, std::span<const double> token_probabilities);

/// KL(p || q) averaged over uniformly drawn prompts, from response log-probabilities (num_prompts
/// x num_responses): (1 / P) sum_x sum_y p(y|x) (log p(y|x) - log q(y|x)).
double MeanSequenceKl(const TokenWorld& world, std::span<const double> log_p, std::span<const double> log_q);
/// (1 / P) sum_x sum_y p(y|x) R(x, y).
double MeanReward(const TokenWorld& world, std::span<const double> log_p, std::span<const double> reward);

// ---- Pretraining the reference model -------------------------------------------------------

/// One sampled (prompt, response) pair of a corpus.
struct CorpusEntry {
  int prompt = 0;
  int response = 0;
};

/// A "teacher" language model: logits drawn i.i.d. N(0, scale^2) from `rng`.
TabularPolicy RandomPolicy(const TokenWorld& world, double scale, Rng& rng);
/// `per_prompt` responses sampled from `policy` for every prompt, prompt by prompt.
std::vector<CorpusEntry> SampleCorpus(const TabularPolicy& policy, int per_prompt, Rng& rng);
/// Maximum likelihood (smoothing 0) or add-`smoothing` estimate of the next-token table from a corpus:
/// pi(a | x, n) = (count(x, n, a) + smoothing) / (count(x, n) + vocab_size * smoothing); a node never
/// reached with smoothing 0 gets the uniform row. With smoothing 0 the model's pi(y|x) equals the
/// corpus frequency of y among the responses to x (the prefix-count ratios telescope). smoothing must
/// be finite and >= 0; throws cai::Error otherwise or for an entry outside the world.
TabularPolicy FitMaximumLikelihood(const TokenWorld& world, std::span<const CorpusEntry> corpus, double smoothing);

// ---- Rewards ---------------------------------------------------------------------------------

/// Built-in rewards R(x, y), num_prompts x num_responses:
///   "length": (+1 for even prompts, -1 for odd ones) * (tokens before the end) / max_length: even
///             prompts want long answers, odd prompts short ones;
///   "count":  (occurrences of token 1) - (occurrences of token 2), over max_length;
///   "random": i.i.d. N(0, 1) per (x, y), drawn with `seed`.
/// Throws cai::Error naming the value for anything else.
std::vector<double> MakeReward(const TokenWorld& world, const std::string& name, std::uint64_t seed);

}  // namespace cai::align
