// Numerically stable log-space primitives shared by every solver.
#pragma once

#include <cstddef>
#include <limits>
#include <span>

namespace cai {

inline constexpr double kNegInf = -std::numeric_limits<double>::infinity();

/// log sum_i exp(x_i), max-shifted. Entries equal to -inf contribute nothing; returns -inf when
/// every entry is -inf (or the span is empty).
double LogSumExp(std::span<const double> x);

/// log sum_i exp(x_i + log_weight_i) (a weighted log-sum-exp; log weights may be -inf).
double LogSumExpWeighted(std::span<const double> x, std::span<const double> log_weight);

/// log( sum_i w_i exp(z_i) / sum_i w_i ): the log of a weighted mean of exp(z), with the weights
/// given as logs (empty span: all weights 1; -inf: weight 0, excluded). Requires max z_i = 0 over
/// the support (callers shift by the max). When every z_i >= -1 it is computed as
/// log1p(sum_i w_i expm1(z_i) / sum_i w_i), which has no cancellation when the z_i are nearly equal:
/// temperature * LogMeanExp stays accurate to a few ulp of the result at huge temperatures, where
/// the plain log(sum) would lose temperature * 1e-16 in absolute terms.
double LogMeanExp(std::span<const double> z, std::span<const double> log_weight = {});

/// Soft maximum with temperature: temperature * log sum_i w_i exp(x_i / temperature), where
/// w_i = exp(log_weight_i) (pass an empty span for the counting measure, w_i = 1).
/// temperature = 0 gives max over {i : w_i > 0} exactly. The shift is applied before the division,
/// so tiny temperatures do not overflow and huge ones do not lose the max.
double SoftMax(std::span<const double> x, double temperature,
               std::span<const double> log_weight = {});

/// Policy of the soft maximum: out_i = w_i exp(x_i / temperature) / sum_j w_j exp(x_j / temperature).
/// temperature = 0 gives the limit: the maximisers share the mass in proportion to w_i (evenly for
/// the counting measure). Entries whose x differs from the max by at most tie_tolerance count as
/// maximisers in that limit.
void SoftArgMax(std::span<const double> x, double temperature, std::span<const double> log_weight,
                std::span<double> out, double tie_tolerance = 0.0);

/// KL(p || q) = sum_i p_i log(p_i / q_i) for probability vectors (terms with p_i = 0 are 0;
/// returns +inf when some p_i > 0 has q_i = 0).
double KlDivergence(std::span<const double> p, std::span<const double> q);

/// Shannon entropy -sum_i p_i log p_i in nats.
double Entropy(std::span<const double> p);

// ---- softplus and sigmoid, without overflow (the one implementation; double and float) ----

/// softplus(x) = log(1 + exp(x)): x + log1p(exp(-x)) for x > 0, else log1p(exp(x)).
double Softplus(double x);
float Softplus(float x);
/// sigmoid(x) = 1 / (1 + exp(-x)) for x >= 0, else exp(x) / (1 + exp(x)).
double Sigmoid(double x);
float Sigmoid(float x);
/// log sigmoid(x) = -softplus(-x).
double LogSigmoid(double x);

}  // namespace cai
