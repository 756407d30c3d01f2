// The `cai` command-line tool: thin wrappers that parse flags and call the library.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cai/mdp/mdp.h"

namespace cai::cli {

/// Where a command's MDP comes from: --mdp FILE or --builtin NAME [--param k=v ...].
struct ProblemSource {
  std::string mdp_file;
  std::string builtin;
  std::vector<std::string> params;
  void AddFlags(CLI::App& app);
  Mdp Load() const;
};

/// Parses "k=v" strings into a map; throws cai::Error naming a malformed one or a repeated key.
std::map<std::string, std::string> ParseParams(const std::vector<std::string>& params);

void AddSolveCommand(CLI::App& app);
void AddExamplesCommand(CLI::App& app);
void AddMdpCommands(CLI::App& app);
void AddElboCommand(CLI::App& app);
void AddTrainCommands(CLI::App& app);  // train sac / soft-q / maxent-pg, eval
void AddCompareCommand(CLI::App& app);
void AddPlanCommand(CLI::App& app);  // plan mppi
void AddIrlCommands(CLI::App& app);  // irl, demos
void AddAlignCommand(CLI::App& app);  // align ppo|dpo|ipo on the token world

}  // namespace cai::cli

namespace cai::cli {
/// Exit status a command sets when it finished but must report failure (e.g. not converged).
int& ExitStatus();
}  // namespace cai::cli
