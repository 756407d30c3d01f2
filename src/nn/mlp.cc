#include "cai/nn/mlp.h"

#include <cassert>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai::nn {

std::string_view ActivationName(Activation activation) {
  switch (activation) {
    case Activation::kIdentity: return "identity";
    case Activation::kRelu: return "relu";
    case Activation::kTanh: return "tanh";
    case Activation::kElu: return "elu";
  }
  return "?";
}

std::vector<std::pair<Activation, std::string>> ActivationChoices() {
  std::vector<std::pair<Activation, std::string>> out;
  for (Activation a : {Activation::kIdentity, Activation::kRelu, Activation::kTanh, Activation::kElu}) {
    out.emplace_back(a, std::string(ActivationName(a)));
  }
  return out;
}

Activation ParseActivation(std::string_view name, std::string_view field) {
  for (Activation a : {Activation::kIdentity, Activation::kRelu, Activation::kTanh, Activation::kElu}) {
    if (name == ActivationName(a)) return a;
  }
  throw Error(fmt::format("{}: \"{}\" is not an activation (expected identity, relu, tanh or elu)",
                          field, name));
}

namespace {
constexpr int kMaxDim = 65536;

void CheckDim(int value, const std::string& field) {
  if (value < 1 || value > kMaxDim) {
    throw Error(fmt::format("{}: {} is invalid (expected an integer in [1, {}])", field, value, kMaxDim));
  }
}
}  // namespace

void ValidateMlpSpec(const MlpSpec& spec) {
  CheckDim(spec.input_dim, "input_dim");
  CheckDim(spec.output_dim, "output_dim");
  for (std::size_t i = 0; i < spec.hidden.size(); ++i) CheckDim(spec.hidden[i], fmt::format("hidden[{}]", i));
}

std::vector<int> ParseLayerSizes(std::string_view text, std::string_view field) {
  std::vector<int> sizes;
  if (text.empty()) return sizes;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    int value = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || value < 1 || value > kMaxDim) {
      throw Error(fmt::format("{}: \"{}\" is invalid (expected comma-separated layer sizes in [1, {}], e.g. 64,64)",
                              field, text, kMaxDim));
    }
    sizes.push_back(value);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return sizes;
}

Mlp::Mlp(const MlpSpec& spec, Rng& rng) : spec_(spec) {
  ValidateMlpSpec(spec);
  int in = spec.input_dim;
  std::size_t offset = 0;
  for (std::size_t l = 0; l <= spec.hidden.size(); ++l) {
    const int out = l < spec.hidden.size() ? spec.hidden[l] : spec.output_dim;
    layer_in_.push_back(in);
    layer_out_.push_back(out);
    weight_offset_.push_back(offset);
    offset += static_cast<std::size_t>(in) * out + out;
    in = out;
  }
  parameters_.assign(offset, 0.0f);
  gradients_.assign(offset, 0.0f);
  // PyTorch's nn.Linear.reset_parameters: kaiming_uniform_(a = sqrt(5)) on W gives
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias uses the same bound.
  for (int l = 0; l < num_layers(); ++l) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(layer_in_[l]));
    const std::size_t end = weight_offset_[l] + static_cast<std::size_t>(layer_in_[l]) * layer_out_[l] + layer_out_[l];
    for (std::size_t i = weight_offset_[l]; i < end; ++i) {
      parameters_[i] = static_cast<float>((2.0 * rng.Uniform() - 1.0) * bound);
    }
  }
}

Activation Mlp::layer_activation(int layer) const {
  return layer + 1 == num_layers() ? spec_.output_activation : spec_.hidden_activation;
}

void Mlp::ZeroGradients() { std::fill(gradients_.begin(), gradients_.end(), 0.0f); }

Eigen::Map<RowMajorMatrix> Mlp::weight(int layer) {
  return {parameters_.data() + weight_offset_[layer], layer_out_[layer], layer_in_[layer]};
}
Eigen::Map<const RowMajorMatrix> Mlp::weight(int layer) const {
  return {parameters_.data() + weight_offset_[layer], layer_out_[layer], layer_in_[layer]};
}
Eigen::Map<Eigen::VectorXf> Mlp::bias(int layer) {
  return {parameters_.data() + bias_offset(layer), layer_out_[layer]};
}
Eigen::Map<const Eigen::VectorXf> Mlp::bias(int layer) const {
  return {parameters_.data() + bias_offset(layer), layer_out_[layer]};
}
Eigen::Map<RowMajorMatrix> Mlp::weight_gradient(int layer) {
  return {gradients_.data() + weight_offset_[layer], layer_out_[layer], layer_in_[layer]};
}
Eigen::Map<Eigen::VectorXf> Mlp::bias_gradient(int layer) {
  return {gradients_.data() + bias_offset(layer), layer_out_[layer]};
}

MlpWorkspace::MlpWorkspace(const Mlp& net, int max_batch) : max_batch_(max_batch) {
  if (max_batch < 1) {
    throw Error(fmt::format("max_batch: {} is invalid (expected an integer >= 1)", max_batch));
  }
  input_.resize(net.input_dim(), max_batch);
  for (int l = 0; l < net.num_layers(); ++l) {
    outputs_.emplace_back(net.layer_output_dim(l), max_batch);
    deltas_.emplace_back(net.layer_output_dim(l), max_batch);
  }
}

namespace {

template <typename Block>
void ApplyActivation(Activation activation, Block&& z) {
  switch (activation) {
    case Activation::kIdentity: break;
    case Activation::kRelu: z = z.cwiseMax(0.0f); break;
    case Activation::kTanh: z = z.array().tanh(); break;
    case Activation::kElu: z = (z.array() > 0.0f).select(z.array(), z.array().exp() - 1.0f); break;
  }
}

// delta <- delta * act'(pre-activation), with act' written in terms of the activation's output y.
template <typename Delta, typename Output>
void MultiplyByDerivative(Activation activation, Delta&& delta, const Output& y) {
  switch (activation) {
    case Activation::kIdentity: break;
    case Activation::kRelu: delta = (y.array() > 0.0f).select(delta.array(), 0.0f); break;
    case Activation::kTanh: delta = delta.array() * (1.0f - y.array().square()); break;
    case Activation::kElu: delta = delta.array() * (y.array() > 0.0f).select(1.0f, y.array() + 1.0f); break;
  }
}

}  // namespace

Eigen::Ref<const Matrix> Forward(const Mlp& net, MlpWorkspace& ws, const Eigen::Ref<const Matrix>& x) {
  const int batch = static_cast<int>(x.cols());
  if (x.rows() != net.input_dim() || batch < 1 || batch > ws.max_batch_) {
    throw Error(fmt::format("Forward: input is {} x {} (expected {} x [1, {}])", x.rows(), x.cols(),
                            net.input_dim(), ws.max_batch_));
  }
  ws.batch_ = batch;
  ws.input_.leftCols(batch) = x;
  for (int l = 0; l < net.num_layers(); ++l) {
    auto out = ws.outputs_[l].leftCols(batch);
    // Start from the bias and accumulate the product: one pass instead of zero-fill + bias add.
    out.colwise() = net.bias(l);
    if (l == 0) {
      out.noalias() += net.weight(l) * ws.input_.leftCols(batch);
    } else {
      out.noalias() += net.weight(l) * ws.outputs_[l - 1].leftCols(batch);
    }
    ApplyActivation(net.layer_activation(l), out);
  }
  return ws.outputs_.back().leftCols(batch);
}

void Backward(Mlp& net, MlpWorkspace& ws, const Eigen::Ref<const Matrix>& output_gradient,
              Matrix* input_gradient, ParameterGradients mode) {
  const int batch = ws.batch_;
  if (batch < 1 || output_gradient.rows() != net.output_dim() || output_gradient.cols() != batch) {
    throw Error(fmt::format("Backward: output gradient is {} x {} (expected {} x {} from the last Forward)",
                            output_gradient.rows(), output_gradient.cols(), net.output_dim(), batch));
  }
  if (input_gradient != nullptr &&
      (input_gradient->rows() != net.input_dim() || input_gradient->cols() != batch)) {
    throw Error(fmt::format("Backward: input gradient buffer is {} x {} (expected {} x {})",
                            input_gradient->rows(), input_gradient->cols(), net.input_dim(), batch));
  }
  const int last = net.num_layers() - 1;
  ws.deltas_[last].leftCols(batch) = output_gradient;
  for (int l = last; l >= 0; --l) {
    auto delta = ws.deltas_[l].leftCols(batch);
    MultiplyByDerivative(net.layer_activation(l), delta, ws.outputs_[l].leftCols(batch));
    const auto layer_input = l == 0 ? ws.input_.leftCols(batch) : ws.outputs_[l - 1].leftCols(batch);
    if (mode == ParameterGradients::kAccumulate) {
      net.weight_gradient(l).noalias() += delta * layer_input.transpose();
      net.bias_gradient(l) += delta.rowwise().sum();
    } else if (mode == ParameterGradients::kOverwrite) {
      net.weight_gradient(l).noalias() = delta * layer_input.transpose();
      net.bias_gradient(l) = delta.rowwise().sum();
    }
    if (l > 0) {
      ws.deltas_[l - 1].leftCols(batch).noalias() = net.weight(l).transpose() * delta;
    } else if (input_gradient != nullptr) {
      input_gradient->noalias() = net.weight(0).transpose() * delta;
    }
  }
}

void PolyakUpdate(std::span<float> target, std::span<const float> source, float tau) {
  assert(target.size() == source.size());
  const float keep = 1.0f - tau;
  float* t = target.data();
  const float* s = source.data();
  for (std::size_t i = 0; i < target.size(); ++i) t[i] = keep * t[i] + tau * s[i];
}

float ClipGradientNorm(std::span<float> gradient, float max_norm) {
  double sum = 0.0;
  for (float g : gradient) sum += static_cast<double>(g) * g;
  const float norm = static_cast<float>(std::sqrt(sum));
  if (norm > max_norm && norm > 0.0f) {
    const float scale = max_norm / norm;
    for (float& g : gradient) g *= scale;
  }
  return norm;
}

}  // namespace cai::nn
