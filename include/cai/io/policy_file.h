// Policy files (policy.safetensors): the deterministic policy a run saved, whichever algorithm
// wrote it. Shared by `cai eval` and the Python module, so a policy saved on one side loads on the
// other.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "cai/env/environment.h"
#include "cai/nn/safetensors.h"
#include "cai/rl/trainer.h"

namespace cai::io {

/// The deterministic policy in `file`, chosen by its metadata "algorithm" (sac when absent,
/// soft-q, maxent-pg or pets), checked to fit `env`'s observation and action spaces. Throws
/// cai::Error starting with `source_name` for an unknown algorithm or a mismatch.
std::unique_ptr<rl::Policy> LoadPolicy(const nn::SafetensorsFile& file, const std::string& source_name,
                                       const env::Environment& env);

/// A policy file and the environment it was trained on (metadata "env").
struct PolicyFile {
  std::string env;
  std::string algorithm;
  std::unique_ptr<rl::Policy> policy;
};

/// Reads `path` (a policy .safetensors file, or a run directory holding policy.safetensors) and
/// builds its policy for its own environment. Throws cai::Error naming the path.
PolicyFile LoadPolicyFile(const std::filesystem::path& path);

}  // namespace cai::io
