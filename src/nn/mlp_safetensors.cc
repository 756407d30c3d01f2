#include "cai/nn/mlp_safetensors.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"

namespace cai::nn {

void AddMlp(SafetensorsFile& file, std::string_view prefix, const Mlp& net) {
  for (int l = 0; l < net.num_layers(); ++l) {
    const auto in = net.layer_input_dim(l), out = net.layer_output_dim(l);
    const auto params = net.parameters();
    file.tensors[fmt::format("{}.{}.weight", prefix, l)] =
        Tensor::FromFloats(params.subspan(net.weight_offset(l), static_cast<std::size_t>(in) * out), {out, in});
    file.tensors[fmt::format("{}.{}.bias", prefix, l)] =
        Tensor::FromFloats(params.subspan(net.bias_offset(l), static_cast<std::size_t>(out)), {out});
  }
  const MlpSpec& spec = net.spec();
  nlohmann::json j = {{"input_dim", spec.input_dim},
                      {"hidden", spec.hidden},
                      {"output_dim", spec.output_dim},
                      {"hidden_activation", std::string(ActivationName(spec.hidden_activation))},
                      {"output_activation", std::string(ActivationName(spec.output_activation))}};
  file.metadata[fmt::format("{}.spec", prefix)] = j.dump();
}

MlpSpec ReadMlpSpec(const SafetensorsFile& file, std::string_view prefix) {
  const std::string key = fmt::format("{}.spec", prefix);
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end()) throw Error(fmt::format("metadata \"{}\": missing", key));
  try {
    const auto j = nlohmann::json::parse(it->second);
    MlpSpec spec;
    spec.input_dim = j.at("input_dim").get<int>();
    spec.hidden = j.at("hidden").get<std::vector<int>>();
    spec.output_dim = j.at("output_dim").get<int>();
    spec.hidden_activation = ParseActivation(j.at("hidden_activation").get<std::string>(), key);
    spec.output_activation = ParseActivation(j.at("output_activation").get<std::string>(), key);
    ValidateMlpSpec(spec);
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("metadata \"{}\": {} is not a network spec ({})", key, it->second, e.what()));
  }
}

void LoadMlpParameters(const SafetensorsFile& file, std::string_view prefix, Mlp& net) {
  for (int l = 0; l < net.num_layers(); ++l) {
    const std::int64_t in = net.layer_input_dim(l), out = net.layer_output_dim(l);
    const std::int64_t wshape[] = {out, in}, bshape[] = {out};
    const auto w = RequireTensor(file, fmt::format("{}.{}.weight", prefix, l), DType::kF32, wshape).ToFloats();
    const auto b = RequireTensor(file, fmt::format("{}.{}.bias", prefix, l), DType::kF32, bshape).ToFloats();
    std::copy(w.begin(), w.end(), net.parameters().begin() + static_cast<std::ptrdiff_t>(net.weight_offset(l)));
    std::copy(b.begin(), b.end(), net.parameters().begin() + static_cast<std::ptrdiff_t>(net.bias_offset(l)));
  }
}

void PutAdam(SafetensorsFile& f, const std::string& name, const Adam<float>& adam) {
  const auto size = [](std::size_t n) { return static_cast<std::int64_t>(n); };
  f.tensors[name + ".m"] = Tensor::FromFloats(adam.first_moment(), {size(adam.first_moment().size())});
  f.tensors[name + ".v"] = Tensor::FromFloats(adam.second_moment(), {size(adam.second_moment().size())});
  const std::int64_t steps[] = {adam.steps()};
  f.tensors[name + ".steps"] = Tensor::FromInt64(steps, {1});
}

void GetAdam(const SafetensorsFile& f, const std::string& name, Adam<float>& adam) {
  const std::int64_t n[] = {static_cast<std::int64_t>(adam.first_moment().size())}, one[] = {1};
  const auto m = RequireTensor(f, name + ".m", DType::kF32, n).ToFloats();
  const auto v = RequireTensor(f, name + ".v", DType::kF32, n).ToFloats();
  const auto steps = RequireTensor(f, name + ".steps", DType::kI64, one).ToInt64();
  adam.RestoreState(steps[0], m, v);
}

}  // namespace cai::nn
