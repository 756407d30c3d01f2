// Helper for tests/io/tensorboard_readback.py: writes known scalars into DIR through
// MetricsLogger (CSV, JSON Lines and a TensorBoard event file). With "resume", the same run is
// written as a resumed one: a first logger writes all the steps with stale values past step 2500
// (an interrupted run that went on after its checkpoint), TrimEventFiles cuts the events back to
// the checkpoint, and a second logger writes steps 2600 on, as run::ResumeRun does.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "cai/core/error.h"
#include "cai/run/metrics_logger.h"
#include "cai/run/tensorboard_writer.h"

namespace {

void LogSteps(cai::run::MetricsLogger& logger, int first, int last, double offset) {
  for (int step = first; step <= last; ++step) {
    logger.Log(step * 100, {{"charts/episodic_return", -1000.0 + 10.0 * step + offset},
                            {"losses/qf_loss", 1.0 / step + offset},
                            {"losses/alpha", std::exp(-0.01 * step) + offset}});
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 3 && std::string(argv[2]) == "resume")) {
    std::fprintf(stderr, "usage: tensorboard_tool DIR [resume]\n");
    return 2;
  }
  try {
    std::filesystem::create_directories(argv[1]);
    if (argc == 3) {
      {
        cai::run::MetricsLogger interrupted(argv[1]);
        LogSteps(interrupted, 1, 25, 0.0);
        LogSteps(interrupted, 26, 40, 0.5);  // past the checkpoint: must not be shown
        interrupted.Log(5500, {{"losses/nan_value", 7.0}});
        interrupted.Flush();
      }
      cai::run::TrimEventFiles(argv[1], 2500);
    }
    cai::run::MetricsLogger logger(argv[1]);
    LogSteps(logger, argc == 3 ? 26 : 1, 50, 0.0);
    logger.Log(6000, {{"losses/nan_value", std::nan("")}});
    logger.Flush();
  } catch (const cai::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
