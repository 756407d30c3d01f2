// Moved to the run module (cai/run/tensorboard_writer.h); the io:: names stay as aliases.
#pragma once

#include "cai/run/tensorboard_writer.h"

namespace cai::io {
using run::Crc32c;
using run::MaskCrc;
using run::TensorBoardWriter;
}  // namespace cai::io
