// The trainer interface lives in the run module (cai/run/trainer.h), below rl, planning, irl and
// align; these aliases keep the rl:: names working.
#pragma once

#include "cai/run/trainer.h"

namespace cai::rl {

using run::CheckCheckpointOwner;
using run::EpisodeStats;
using run::EvaluatePolicy;
using run::EvaluationResult;
using run::Policy;
using run::RestoreEpisodeStart;
using run::RunSteps;
using run::SaveEpisodeStart;
using run::Trainer;

}  // namespace cai::rl
