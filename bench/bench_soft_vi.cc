// Soft value iteration on a large gridworld (issue #2, section 6): seconds per sweep and effective
// memory bandwidth, against a STREAM-triad bandwidth measured in the same program.
//
//   bench_soft_vi [--width=1000] [--height=1000] [--slip=0.1] [--export_dir=DIR]
//                 [--export_sweeps=5] [--simd=auto|portable|avx2|avx512] [Google Benchmark flags...]
//
// With --export_dir the program also writes the problem's CSR arrays as raw little-endian binary
// files (np.fromfile) and the values after --export_sweeps sweeps from V = 0 for every benchmarked
// temperature, so that bench/peer_numpy_soft_vi.py solves the same problem and checks the result.
// bench/README.md describes the byte model; bench/run_soft_vi_bench.sh runs everything.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cai/inference/soft_bellman.h"
#include "cai/inference/soft_value_iteration.h"
#include "cai/mdp/builtins.h"
#include "cai/mdp/mdp.h"

namespace {

struct BenchConfig {
  int width = 1000;
  int height = 1000;
  double slip = 0.1;
  double discount = 0.99;
  std::string export_dir;
  int export_sweeps = 5;
  std::string simd = "auto";
};

BenchConfig& Config() {
  static BenchConfig config;
  return config;
}

// The temperatures benchmarked (and exported for the NumPy/SciPy cross-check).
constexpr double kTemperatures[] = {1.0, 0.1};

const cai::Mdp& Problem() {
  static const cai::Mdp mdp = [] {
    const BenchConfig& c = Config();
    return cai::MakeGridworld(cai::GridworldOptions{.width = c.width, .height = c.height,
                                                    .slip = c.slip});
  }();
  return mdp;
}

// Bytes a plain CSR sweep (SoftBellmanBackup storing Q, no row patterns) must move to or from
// memory at least (bench/README.md): every CSR array and the rewards are streamed once, Q (S x A)
// is written once, V_next is read once (its gathers hit cache: grid neighbours lie within +-width
// states), V_new is written once, and the residual reads V_new and V_old once more. Write-allocate
// traffic is not counted, as in the STREAM convention used for the triad below.
double CsrSweepBytes(const cai::Mdp& mdp) {
  const double s = mdp.num_states();
  const double sa = s * mdp.num_actions();
  const double nnz = static_cast<double>(mdp.num_transitions());
  const double offsets = (sa + 1) * sizeof(std::int64_t);
  const double indices = nnz * sizeof(std::int32_t);
  const double probabilities = nnz * sizeof(double);
  const double rewards = sa * sizeof(double);
  const double q_write = sa * sizeof(double);
  const double v_read = s * sizeof(double);
  const double v_write = s * sizeof(double);
  const double residual = 2 * s * sizeof(double);
  return offsets + indices + probabilities + rewards + q_write + v_read + v_write + residual;
}

// The same for SoftValueIteration::Sweep(), which reads through row patterns and stores no Q
// (bench/README.md): with four actions one state-pattern byte per state, plus the successor
// indices of the states whose pattern is not a stencil (a stencil state's successors are at fixed
// offsets: no index is read); otherwise one row-pattern byte per row and every successor index.
// V_next, V_new and the residual as above.
double PatternSweepBytes(const cai::Mdp& mdp, const cai::RowPatterns& p) {
  const double s = mdp.num_states();
  double pattern_bytes = 0.0;
  double index_bytes = 0.0;
  if (!p.state_pattern().empty()) {
    pattern_bytes = s;
    for (int st = 0; st < mdp.num_states(); ++st) {
      if (!p.state_patterns()[p.state_pattern()[static_cast<std::size_t>(st)]].stencil) {
        const auto row = static_cast<std::size_t>(st) * 4;
        index_bytes += static_cast<double>(mdp.row_offsets()[row + 4] - mdp.row_offsets()[row]) *
                       sizeof(std::int32_t);
      }
    }
  } else {
    pattern_bytes = s * mdp.num_actions();
    index_bytes = static_cast<double>(mdp.num_transitions()) * sizeof(std::int32_t);
  }
  return pattern_bytes + index_bytes + 4 * s * sizeof(double);
}

double SweepBytes(const cai::Mdp& mdp) {
  static const double bytes = [&] {
    const std::optional<cai::RowPatterns> p = cai::RowPatterns::Build(mdp);
    return p ? PatternSweepBytes(mdp, *p) : CsrSweepBytes(mdp);
  }();
  return bytes;
}

cai::SoftValueIterationOptions Options(double temperature, cai::Backup backup, int threads) {
  cai::SoftValueIterationOptions o;
  o.threads = threads;
  o.temperature = temperature;
  o.discount = Config().discount;
  o.backup = backup;  // prior: the default counting measure
  return o;
}

// One SoftValueIteration::Sweep() (backup plus the residual ||V_new - V_old||_inf) per iteration.
void BM_SoftViSweep(benchmark::State& state, double temperature, cai::Backup backup) {
  const int threads = static_cast<int>(state.range(0));
  const cai::Mdp& mdp = Problem();
  cai::SoftValueIteration solver(mdp, Options(temperature, backup, threads));
  solver.Sweep();  // warm up: page in the workspace
  for (auto _ : state) {
    benchmark::DoNotOptimize(solver.Sweep());
    benchmark::ClobberMemory();
  }
  const double bytes = backup == cai::Backup::kVariational ? SweepBytes(mdp) : CsrSweepBytes(mdp);
  state.SetBytesProcessed(
      static_cast<std::int64_t>(bytes * static_cast<double>(state.iterations())));
  state.counters["states"] = mdp.num_states();
  state.counters["transitions"] = static_cast<double>(mdp.num_transitions());
  state.counters["bytes_per_sweep"] = bytes;
  state.counters["cai_threads"] = threads;
}

// The plain CSR sweep, for comparison: SoftBellmanBackup without row patterns, storing Q, then the
// swap (what an MDP with too many distinct rows gets, and what Sweep() did before row patterns).
void BM_CsrSweep(benchmark::State& state, double temperature) {
  const int threads = static_cast<int>(state.range(0));
  const cai::Mdp& mdp = Problem();
  const cai::SoftValueIterationOptions o = Options(temperature, cai::Backup::kVariational, threads);
  const auto n = static_cast<std::size_t>(mdp.num_states());
  std::vector<double> v(n, 0.0);
  std::vector<double> v_new(n, 0.0);
  std::vector<double> q(n * static_cast<std::size_t>(mdp.num_actions()), 0.0);
  double residual = 0.0;
  cai::SoftBellmanBackup(mdp, o, v, q, v_new, &residual);  // warm up
  for (auto _ : state) {
    cai::SoftBellmanBackup(mdp, o, v, q, v_new, &residual);
    v.swap(v_new);
    benchmark::DoNotOptimize(residual);
    benchmark::ClobberMemory();
  }
  const double bytes = CsrSweepBytes(mdp);
  state.SetBytesProcessed(
      static_cast<std::int64_t>(bytes * static_cast<double>(state.iterations())));
  state.counters["bytes_per_sweep"] = bytes;
  state.counters["cai_threads"] = threads;
}

// The one-time cost of the row and state patterns (SoftValueIteration builds them once).
void BM_RowPatternsBuild(benchmark::State& state) {
  const cai::Mdp& mdp = Problem();
  for (auto _ : state) {
    std::optional<cai::RowPatterns> p = cai::RowPatterns::Build(mdp);
    benchmark::DoNotOptimize(p);
  }
}

// STREAM triad a[i] = b[i] + s * c[i] over three arrays of 10^7 doubles (80 MB each, far larger
// than any cache), split into contiguous blocks over `threads` std::threads. Counted as 3 x 8 bytes
// per element (two reads, one write; write-allocate not counted).
struct TriadArrays {
  static constexpr std::size_t kN = 10'000'000;
  std::unique_ptr<double[]> a{new double[kN]};
  std::unique_ptr<double[]> b{new double[kN]};
  std::unique_ptr<double[]> c{new double[kN]};
};

void TriadBlock(TriadArrays& t, std::size_t begin, std::size_t end, double scalar) {
  double* __restrict a = t.a.get();
  const double* __restrict b = t.b.get();
  const double* __restrict c = t.c.get();
  for (std::size_t i = begin; i < end; ++i) a[i] = b[i] + scalar * c[i];
}

template <typename F>
void ParallelBlocks(int threads, std::size_t n, F&& f) {
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    pool.emplace_back([&, t] { f(n * t / threads, n * (t + 1) / threads); });
  }
  f(0, n / threads);
  for (auto& th : pool) th.join();
}

void BM_Triad(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  static TriadArrays t;
  constexpr std::size_t n = TriadArrays::kN;
  // First touch by the threads that use the blocks.
  ParallelBlocks(threads, n, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      t.a[i] = 0.0;
      t.b[i] = 1.0;
      t.c[i] = 2.0;
    }
  });
  double scalar = 3.0;
  for (auto _ : state) {
    ParallelBlocks(threads, n, [&](std::size_t begin, std::size_t end) {
      TriadBlock(t, begin, end, scalar);
    });
    benchmark::ClobberMemory();
    scalar = 3.0 + 1e-9 * scalar;  // keep each pass from being elided
  }
  benchmark::DoNotOptimize(t.a[n / 2]);
  state.SetBytesProcessed(static_cast<std::int64_t>(3.0 * sizeof(double) * n *
                                                    static_cast<double>(state.iterations())));
  state.counters["cai_threads"] = threads;
}

void WriteRaw(const std::filesystem::path& path, const void* data, std::size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

template <typename T>
void WriteRaw(const std::filesystem::path& path, std::span<const T> data) {
  WriteRaw(path, data.data(), data.size_bytes());
}

// Writes the problem and reference values for the NumPy/SciPy peer.
void Export(const BenchConfig& c) {
  const cai::Mdp& mdp = Problem();
  const std::filesystem::path dir(c.export_dir);
  std::filesystem::create_directories(dir);
  WriteRaw(dir / "row_offsets.i64", mdp.row_offsets());
  WriteRaw(dir / "next_states.i32", mdp.next_states());
  WriteRaw(dir / "next_probabilities.f64", mdp.next_probabilities());
  WriteRaw(dir / "rewards.f64", mdp.rewards());
  // values_<i>.f64: V after export_sweeps sweeps from V = 0 at temperature kTemperatures[i].
  std::string temps;
  for (std::size_t i = 0; i < std::size(kTemperatures); ++i) {
    cai::SoftValueIteration solver(mdp, Options(kTemperatures[i], cai::Backup::kVariational, 1));
    for (int k = 0; k < c.export_sweeps; ++k) solver.Sweep();
    WriteRaw(dir / fmt::format("values_{}.f64", i), solver.values());
    temps += fmt::format("{}{:.17g}", temps.empty() ? "" : ", ", kTemperatures[i]);
  }
  std::ofstream meta(dir / "meta.json");
  meta << fmt::format(
      "{{\"num_states\": {}, \"num_actions\": {}, \"num_transitions\": {}, \"width\": {}, "
      "\"height\": {}, \"slip\": {:.17g}, \"discount\": {:.17g}, \"temperatures\": [{}], "
      "\"export_sweeps\": {}, \"sweep_bytes\": {:.17g}, \"csr_sweep_bytes\": {:.17g}, "
      "\"simd\": \"{}\"}}\n",
      mdp.num_states(), mdp.num_actions(), mdp.num_transitions(), c.width, c.height, c.slip,
      c.discount, temps, c.export_sweeps, SweepBytes(mdp), CsrSweepBytes(mdp),
      cai::SimdLevelName(cai::SoftBellmanSimd()));
  if (!meta) throw std::runtime_error("cannot write " + (dir / "meta.json").string());
}

// Consumes our own --name=value flags; leaves the rest for Google Benchmark.
bool TakeFlag(std::string_view arg, std::string_view name, std::string* value) {
  const std::string prefix = "--" + std::string(name) + "=";
  if (arg.substr(0, prefix.size()) != prefix) return false;
  *value = std::string(arg.substr(prefix.size()));
  return true;
}

void ParseFlags(int* argc, char** argv) {
  BenchConfig& c = Config();
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string v;
    if (TakeFlag(argv[i], "width", &v)) {
      c.width = std::stoi(v);
    } else if (TakeFlag(argv[i], "height", &v)) {
      c.height = std::stoi(v);
    } else if (TakeFlag(argv[i], "slip", &v)) {
      c.slip = std::stod(v);
    } else if (TakeFlag(argv[i], "export_dir", &v)) {
      c.export_dir = v;
    } else if (TakeFlag(argv[i], "export_sweeps", &v)) {
      c.export_sweeps = std::stoi(v);
    } else if (TakeFlag(argv[i], "simd", &v)) {
      c.simd = v;
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    ParseFlags(&argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_soft_vi: bad flag value: %s\n", e.what());
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  try {
    const std::string& simd = Config().simd;
    cai::SimdLevel level = cai::SimdLevel::kAuto;
    if (simd == "portable") level = cai::SimdLevel::kPortable;
    else if (simd == "avx2") level = cai::SimdLevel::kAvx2;
    else if (simd == "avx512") level = cai::SimdLevel::kAvx512;
    else if (simd != "auto") throw std::runtime_error("--simd=" + simd + " (expected auto, portable, avx2 or avx512)");
    cai::SetSoftBellmanSimd(level);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_soft_vi: %s\n", e.what());
    return 2;
  }
  benchmark::AddCustomContext("cai_simd", cai::SimdLevelName(cai::SoftBellmanSimd()));

  // One thread, and (on a machine with at least two hardware threads) two.
  const int max_threads = std::thread::hardware_concurrency() >= 2 ? 2 : 1;
  for (int threads = 1; threads <= max_threads; ++threads) {
    benchmark::RegisterBenchmark("Triad", BM_Triad)
        ->Arg(threads)
        ->ArgName("threads")
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  for (double temperature : kTemperatures) {
    for (int threads = 1; threads <= max_threads; ++threads) {
      benchmark::RegisterBenchmark(
          fmt::format("SoftViSweep/variational/T:{}", temperature).c_str(), BM_SoftViSweep,
          temperature, cai::Backup::kVariational)
          ->Arg(threads)
          ->ArgName("threads")
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (int threads = 1; threads <= max_threads; ++threads) {
    benchmark::RegisterBenchmark("SoftViSweep/variational-csr/T:1", BM_CsrSweep, 1.0)
        ->Arg(threads)
        ->ArgName("threads")
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("RowPatternsBuild", BM_RowPatternsBuild)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  for (int threads = 1; threads <= max_threads; ++threads) {
    benchmark::RegisterBenchmark("SoftViSweep/exact/T:1", BM_SoftViSweep, 1.0, cai::Backup::kExact)
        ->Arg(threads)
        ->ArgName("threads")
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }

  try {
    if (!Config().export_dir.empty()) Export(Config());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_soft_vi: export failed: %s\n", e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
