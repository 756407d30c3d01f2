// Helper for tests/nn/safetensors_roundtrip.py: `write PATH` writes known tensors, `check PATH`
// verifies a file written by the Python package; `policy PATH` writes an MLP as SAC's policy file
// does. Exit code 0 on success, 1 with a message otherwise.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cai/core/error.h"
#include "cai/nn/mlp.h"
#include "cai/nn/mlp_safetensors.h"
#include "cai/nn/safetensors.h"

using namespace cai::nn;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: safetensors_tool write|check|mlp PATH\n");
    return 2;
  }
  const std::string mode = argv[1], path = argv[2];
  try {
    if (mode == "write") {
      SafetensorsFile f;
      std::vector<float> w(6);
      for (int i = 0; i < 6; ++i) w[i] = 0.5f * static_cast<float>(i) - 1.0f;  // [[-1,-0.5,0],[0.5,1,1.5]]
      f.tensors["layer.weight"] = Tensor::FromFloats(w, {2, 3});
      const double d[] = {3.141592653589793, -2.5e-300, 1e300};
      f.tensors["doubles"] = Tensor::FromDoubles(d, {3});
      const std::int64_t ints[] = {-7, 0, 9007199254740993};
      f.tensors["ints"] = Tensor::FromInt64(ints, {3, 1});
      const std::uint8_t bytes[] = {0, 1, 255, 7};
      f.tensors["bytes"] = Tensor::FromBytes(bytes, {2, 2});
      f.tensors["empty"] = Tensor::FromFloats({}, {0, 4});
      f.metadata["format"] = "cai-test";
      f.metadata["note"] = "written by C++";
      SaveSafetensors(path, f);
      return 0;
    }
    if (mode == "mlp") {
      cai::Rng rng(1);
      Mlp net({3, {4}, 2, Activation::kTanh, Activation::kIdentity}, rng);
      SafetensorsFile f;
      AddMlp(f, "actor", net);
      SaveSafetensors(path, f);
      // Print the forward pass of a fixed input so Python can recompute it from the weights.
      Matrix x(3, 1);
      x << 0.1f, -0.2f, 0.3f;
      MlpWorkspace ws(net, 1);
      const auto y = Forward(net, ws, x);
      std::printf("%.9g %.9g\n", static_cast<double>(y(0, 0)), static_cast<double>(y(1, 0)));
      return 0;
    }
    if (mode == "check") {
      const SafetensorsFile f = LoadSafetensors(path);
      const std::int64_t s23[] = {2, 3}, s4[] = {4};
      const auto m = RequireTensor(f, "matrix", DType::kF32, s23).ToFloats();
      for (int i = 0; i < 6; ++i) {
        if (m[i] != static_cast<float>(i) * 0.25f) throw cai::Error("matrix values differ");
      }
      const auto v = RequireTensor(f, "vector", DType::kF64, s4).ToDoubles();
      if (v[0] != 1.0 || v[3] != -0.125) throw cai::Error("vector values differ");
      const auto it = f.metadata.find("origin");
      if (it == f.metadata.end() || it->second != "python") throw cai::Error("metadata origin missing");
      return 0;
    }
  } catch (const cai::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
