// cai: reinforcement learning as probabilistic inference, from the command line.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/mdp/builtins.h"
#include "cai/mdp/mdp_json.h"
#include "commands.h"

namespace cai::cli {

void ProblemSource::AddFlags(CLI::App& app) {
  auto* mdp_opt = app.add_option("--mdp", mdp_file, "MDP file in the cai.mdp/1 JSON format");
  auto* builtin_opt = app.add_option("--builtin", builtin,
                                 "built-in problem: bandit, two_action, three_action, gridworld, "
                                 "chain, random, gamble, objectworld (see `cai mdp --list`)");
  auto* param_opt = app.add_option("--param", params, "parameter of the built-in, key=value (repeatable)");
  mdp_opt->excludes(builtin_opt);
  param_opt->needs(builtin_opt);
}

std::map<std::string, std::string> ParseParams(const std::vector<std::string>& params) {
  std::map<std::string, std::string> out;
  for (const auto& p : params) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(fmt::format("--param: \"{}\" is not of the form key=value", p));
    }
    const std::string key = p.substr(0, eq);
    if (!out.emplace(key, p.substr(eq + 1)).second) {
      throw Error(fmt::format("--param: key \"{}\" is given twice", key));
    }
  }
  return out;
}

Mdp ProblemSource::Load() const {
  if (!mdp_file.empty()) return LoadMdp(mdp_file);
  if (!builtin.empty()) return MakeBuiltin(builtin, ParseParams(params));
  throw Error("no problem given: use --mdp FILE or --builtin NAME");
}

int& ExitStatus() {
  static int status = 0;
  return status;
}

}  // namespace cai::cli

int main(int argc, char** argv) {
  CLI::App app{"cai: reinforcement learning as probabilistic inference (control as inference)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "cai 0.1.0");
  cai::cli::AddSolveCommand(app);
  cai::cli::AddCompareCommand(app);
  cai::cli::AddExamplesCommand(app);
  cai::cli::AddMdpCommands(app);
  cai::cli::AddElboCommand(app);
  cai::cli::AddTrainCommands(app);
  cai::cli::AddPlanCommand(app);
  cai::cli::AddIrlCommands(app);
  cai::cli::AddAlignCommand(app);
  try {
    std::string known;
    bool is_known = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      known += (known.empty() ? "" : ", ") + sub->get_name();
      is_known = is_known || (argc > 1 && sub->get_name() == argv[1]);
    }
    if (argc > 1 && argv[1][0] != '-' && !is_known) {
      throw cai::Error(fmt::format("unknown command \"{}\" (expected one of: {})", argv[1], known));
    }
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    for (char& c : msg) {
      if (c == '\n') c = ' ';
    }
    std::fprintf(stderr, "cai: error: %s (see cai --help)\n", msg.c_str());
    return 2;
  } catch (const cai::Error& e) {
    std::string msg = e.what();
    for (char& c : msg) {
      if (c == '\n') c = ' ';
    }
    std::fprintf(stderr, "cai: error: %s\n", msg.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cai: internal error: %s\n", e.what());
    return 1;
  }
  return cai::cli::ExitStatus();
}
