// Run directories live in the run module (cai/run/run_directory.h), below rl, planning, irl and
// align; these aliases keep the io:: names working.
#pragma once

#include "cai/run/run_directory.h"

namespace cai::io {

using run::ReadRunConfig;
using run::ResumeRun;
using run::RunOptions;
using run::RunOptionsFromJson;
using run::RunOptionsToJson;
using run::RunResult;
using run::StartRun;
using run::ValidateRunOptions;

}  // namespace cai::io
