// MLPs in safetensors files: each layer as "<prefix>.<l>.weight" (out x in, row-major float32, the
// layout of PyTorch's nn.Linear.weight) and "<prefix>.<l>.bias" (out), plus the architecture as
// JSON in the metadata entry "<prefix>.spec".
//
// A PyTorch user rebuilds the network as nn.Sequential(Linear, act, Linear, act, ..., Linear) and
// loads layer l's tensors into the Linear at Sequential index 2 l (see docs/sac.md).
#pragma once

#include <string>
#include <string_view>

#include "cai/core/adam.h"
#include "cai/nn/mlp.h"
#include "cai/nn/safetensors.h"

namespace cai::nn {

/// Adds the network's parameters and spec under `prefix`.
void AddMlp(SafetensorsFile& file, std::string_view prefix, const Mlp& net);

/// The spec stored under `prefix`; throws cai::Error naming the file entry if absent or malformed.
MlpSpec ReadMlpSpec(const SafetensorsFile& file, std::string_view prefix);

/// Copies the parameters stored under `prefix` into `net`; throws cai::Error if a tensor is missing
/// or its dtype or shape differs from net's layer (the message names the tensor).
void LoadMlpParameters(const SafetensorsFile& file, std::string_view prefix, Mlp& net);

/// An Adam optimiser's state (moments and step count) as "<name>.m", "<name>.v", "<name>.steps".
void PutAdam(SafetensorsFile& file, const std::string& name, const Adam<float>& adam);
/// Restores what PutAdam wrote; throws cai::Error naming the tensor if missing or of the wrong shape.
void GetAdam(const SafetensorsFile& file, const std::string& name, Adam<float>& adam);

}  // namespace cai::nn
