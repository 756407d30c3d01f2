// Moved to the run module (cai/run/progress.h); the io:: name stays as an alias.
#pragma once

#include "cai/run/progress.h"

namespace cai::io {
using run::ProgressReporter;
}  // namespace cai::io
