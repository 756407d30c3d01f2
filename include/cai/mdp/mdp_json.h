// The `cai.mdp/1` JSON file format (docs/mdp-format.md).
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "cai/core/file.h"  // WriteFileAtomically, for the writers of cai.mdp/1 and other JSON files
#include "cai/mdp/mdp.h"

namespace cai {

inline constexpr const char* kMdpFormat = "cai.mdp/1";

/// Parses and validates a `cai.mdp/1` document. Errors name the JSON path and the value.
Mdp MdpFromJson(const nlohmann::json& doc);
/// The `cai.mdp/1` document of `mdp` (lossless: MdpFromJson(MdpToJson(m)) is m).
nlohmann::json MdpToJson(const Mdp& mdp);

/// Reads a `cai.mdp/1` file. Errors are prefixed with the path.
Mdp LoadMdp(const std::string& path);
/// Writes a `cai.mdp/1` file atomically (WriteFileAtomically).
void SaveMdp(const Mdp& mdp, const std::string& path);

/// Reads a whole file as JSON; errors name the path and, for syntax errors, the byte offset.
nlohmann::json ReadJsonFile(const std::string& path);

}  // namespace cai
