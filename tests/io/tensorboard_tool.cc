// Helper for tests/io/tensorboard_readback.py: writes known scalars into DIR through
// MetricsLogger (CSV, JSON Lines and a TensorBoard event file).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "cai/core/error.h"
#include "cai/io/metrics_logger.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tensorboard_tool DIR\n");
    return 2;
  }
  try {
    std::filesystem::create_directories(argv[1]);
    cai::io::MetricsLogger logger(argv[1]);
    for (int step = 1; step <= 50; ++step) {
      logger.Log(step * 100, {{"charts/episodic_return", -1000.0 + 10.0 * step},
                              {"losses/qf_loss", 1.0 / step},
                              {"losses/alpha", std::exp(-0.01 * step)}});
    }
    logger.Log(6000, {{"losses/nan_value", std::nan("")}});
    logger.Flush();
  } catch (const cai::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
