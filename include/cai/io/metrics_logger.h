// Moved to the run module (cai/run/metrics_logger.h); the io:: name stays as an alias.
#pragma once

#include "cai/io/tensorboard_writer.h"
#include "cai/run/metrics_logger.h"

namespace cai::io {
using run::MetricsLogger;
}  // namespace cai::io
