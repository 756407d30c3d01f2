// Multi-layer perceptrons in float32 on Eigen: batched forward and backward passes, parameters in
// one contiguous buffer (so optimisers, clipping and Polyak averaging are single loops), PyTorch's
// default initialisation, and preallocated workspaces (no allocation inside a training step).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "cai/core/rng.h"

namespace cai::nn {

/// Column-major float matrix. Batches are stored one example per column: (features x batch).
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
/// A layer weight W (out x in) as stored in the parameter buffer: row-major, exactly PyTorch's
/// nn.Linear.weight layout, so the buffer can be written to safetensors without a transpose.
using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class Activation { kIdentity, kRelu, kTanh, kElu };

/// "identity", "relu", "tanh", "elu".
std::string_view ActivationName(Activation activation);
/// Every activation with its name (identity, relu, tanh, elu): the choices of an options field.
std::vector<std::pair<Activation, std::string>> ActivationChoices();
/// Inverse of ActivationName; throws cai::Error naming `field` and the value otherwise.
Activation ParseActivation(std::string_view name, std::string_view field = "activation");

/// Shape of an MLP: input -> hidden[0] -> ... -> hidden[k-1] -> output. Every hidden layer is
/// followed by `hidden_activation`, the last layer by `output_activation`.
struct MlpSpec {
  int input_dim = 1;
  std::vector<int> hidden = {64, 64};
  int output_dim = 1;
  Activation hidden_activation = Activation::kRelu;
  Activation output_activation = Activation::kIdentity;
};

/// Throws cai::Error naming the field unless every dimension is in [1, 65536].
void ValidateMlpSpec(const MlpSpec& spec);

/// Parses "64,64" into {64, 64} ("" gives no hidden layer); throws cai::Error naming `field`.
std::vector<int> ParseLayerSizes(std::string_view text, std::string_view field = "hidden");

/// The network's parameters and their gradients. Layer l (0-based) computes
/// y = act_l(W_l x + b_l) with W_l (out_l x in_l). Buffer layout, layer after layer:
/// W_l row-major (out_l * in_l floats), then b_l (out_l floats).
class Mlp {
 public:
  /// Initialises as PyTorch's nn.Linear does by default: every W_l and b_l entry
  /// ~ U(-1/sqrt(in_l), 1/sqrt(in_l)), drawn from `rng` layer by layer, W before b, in buffer order.
  Mlp(const MlpSpec& spec, Rng& rng);

  const MlpSpec& spec() const { return spec_; }
  int input_dim() const { return spec_.input_dim; }
  int output_dim() const { return spec_.output_dim; }
  int num_layers() const { return static_cast<int>(layer_in_.size()); }
  int layer_input_dim(int layer) const { return layer_in_[layer]; }
  int layer_output_dim(int layer) const { return layer_out_[layer]; }
  Activation layer_activation(int layer) const;
  std::size_t num_parameters() const { return parameters_.size(); }

  std::span<float> parameters() { return parameters_; }
  std::span<const float> parameters() const { return parameters_; }
  /// d loss / d parameters, same layout; Backward accumulates into it.
  std::span<float> gradients() { return gradients_; }
  std::span<const float> gradients() const { return gradients_; }
  void ZeroGradients();

  /// Views into the parameter buffer.
  Eigen::Map<RowMajorMatrix> weight(int layer);
  Eigen::Map<const RowMajorMatrix> weight(int layer) const;
  Eigen::Map<Eigen::VectorXf> bias(int layer);
  Eigen::Map<const Eigen::VectorXf> bias(int layer) const;
  /// Same views into the gradient buffer.
  Eigen::Map<RowMajorMatrix> weight_gradient(int layer);
  Eigen::Map<Eigen::VectorXf> bias_gradient(int layer);
  /// Offsets of W_l and b_l in the buffer.
  std::size_t weight_offset(int layer) const { return weight_offset_[layer]; }
  std::size_t bias_offset(int layer) const { return weight_offset_[layer] + layer_in_[layer] * static_cast<std::size_t>(layer_out_[layer]); }

 private:
  MlpSpec spec_;
  std::vector<int> layer_in_;
  std::vector<int> layer_out_;
  std::vector<std::size_t> weight_offset_;
  // Aligned to Eigen's maximum alignment: the vectorised kernels take different (bitwise different)
  // paths for differently aligned buffers, so an unaligned buffer made results depend on where the
  // allocator happened to place it (seen in -march=native builds: resumed runs could diverge).
  std::vector<float, Eigen::aligned_allocator<float>> parameters_;
  std::vector<float, Eigen::aligned_allocator<float>> gradients_;
};

/// What Backward does with d loss / d parameters.
enum class ParameterGradients {
  kAccumulate,  ///< add into net.gradients()
  kOverwrite,   ///< write into net.gradients() (saves zeroing them first)
  kSkip,        ///< leave net.gradients() alone (only the input gradient is wanted)
};

/// The per-batch state of one network evaluation: every layer's output for up to `max_batch`
/// columns, kept for Backward. One workspace per concurrent evaluation (e.g. a critic evaluated on
/// (s, a) and on (s', a') needs two). Allocated once; Forward/Backward never allocate.
class MlpWorkspace {
 public:
  MlpWorkspace(const Mlp& net, int max_batch);
  int max_batch() const { return max_batch_; }
  /// Number of columns of the last Forward.
  int batch() const { return batch_; }

 private:
  friend Eigen::Ref<const Matrix> Forward(const Mlp&, MlpWorkspace&, const Eigen::Ref<const Matrix>&);
  friend void Backward(Mlp&, MlpWorkspace&, const Eigen::Ref<const Matrix>&, Matrix*, ParameterGradients);
  int max_batch_;
  int batch_ = 0;
  Matrix input_;                     // copy of the last input (in x max_batch)
  std::vector<Matrix> outputs_;      // post-activation output of each layer (out_l x max_batch)
  std::vector<Matrix> deltas_;       // scratch for d loss / d pre-activation (out_l x max_batch)
};

/// y = net(x) for the columns of x (input_dim x batch, batch <= ws.max_batch()). The result
/// views ws and stays valid until the next Forward with the same workspace.
Eigen::Ref<const Matrix> Forward(const Mlp& net, MlpWorkspace& ws, const Eigen::Ref<const Matrix>& x);

/// Back-propagates d loss / d y (output_dim x batch of the last Forward with `ws`) into the
/// parameter gradients as `mode` says. If `input_gradient` is not null it receives d loss / d x
/// (input_dim x batch); it must already have that shape (so that no allocation happens).
void Backward(Mlp& net, MlpWorkspace& ws, const Eigen::Ref<const Matrix>& output_gradient,
              Matrix* input_gradient, ParameterGradients mode = ParameterGradients::kAccumulate);

/// target <- (1 - tau) * target + tau * source (Polyak averaging of target networks).
void PolyakUpdate(std::span<float> target, std::span<const float> source, float tau);

/// Scales `gradient` so that its Euclidean norm is at most max_norm; returns the norm before.
float ClipGradientNorm(std::span<float> gradient, float max_norm);

}  // namespace cai::nn
