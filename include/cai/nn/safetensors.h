// The safetensors file format (Hugging Face): an 8-byte little-endian header length N, N bytes of
// JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}},
// then the raw little-endian, row-major tensor bytes. Files we write load with
// safetensors.torch.load_file / safetensors.numpy.load_file, and theirs load here.
#pragma once

#include <bit>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cai/core/rng.h"

namespace cai::nn {

static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

enum class DType { kF32, kF64, kI32, kI64, kU64, kU8, kBool };

/// "F32", "F64", "I32", "I64", "U64", "U8", "BOOL".
std::string_view DTypeName(DType dtype);
/// Bytes per element.
std::size_t DTypeSize(DType dtype);

/// One tensor: dtype, shape and its raw little-endian bytes (row-major).
struct Tensor {
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;

  static Tensor FromFloats(std::span<const float> values, std::vector<std::int64_t> shape);
  static Tensor FromDoubles(std::span<const double> values, std::vector<std::int64_t> shape);
  static Tensor FromInt64(std::span<const std::int64_t> values, std::vector<std::int64_t> shape);
  static Tensor FromUint64(std::span<const std::uint64_t> values, std::vector<std::int64_t> shape);
  static Tensor FromBytes(std::span<const std::uint8_t> values, std::vector<std::int64_t> shape);

  /// Number of elements (product of the shape; 1 for a scalar).
  std::int64_t num_elements() const;
  /// The values; each throws cai::Error if the dtype differs.
  std::vector<float> ToFloats() const;
  std::vector<double> ToDoubles() const;
  std::vector<std::int64_t> ToInt64() const;
  std::vector<std::uint64_t> ToUint64() const;
};

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

/// The file's bytes: header padded with spaces so that the data starts at a multiple of 8, tensors
/// laid out in name order without gaps. Throws cai::Error if a tensor's byte count does not match
/// its shape and dtype.
std::string SerializeSafetensors(const SafetensorsFile& file);

/// Parses a file's bytes. Every malformed input (truncated, bad header length, JSON errors, unknown
/// dtype, bad shape, offsets out of range, overlapping or gapped data, non-string metadata) is a
/// cai::Error that starts with `source_name`.
SafetensorsFile ParseSafetensors(std::string_view bytes, std::string_view source_name);

/// Writes atomically (temporary file, then rename); throws cai::Error naming the path on failure.
void SaveSafetensors(const std::filesystem::path& path, const SafetensorsFile& file);
/// Reads and parses; throws cai::Error naming the path.
SafetensorsFile LoadSafetensors(const std::filesystem::path& path);

/// The tensor `name`, checked to have `dtype` and `shape`; cai::Error naming it otherwise.
const Tensor& RequireTensor(const SafetensorsFile& file, std::string_view name, DType dtype,
                            std::span<const std::int64_t> shape);

/// Stores a generator's state as "<name>" (U64 [4], the xoshiro words) and "<name>_normal"
/// (F64 [2]: has-cached flag, cached normal), so a checkpoint continues the same random stream.
void PutRngState(SafetensorsFile& file, const std::string& name, const RngState& state);
/// Reads what PutRngState wrote; cai::Error naming the tensor if missing or mis-shaped.
RngState GetRngState(const SafetensorsFile& file, const std::string& name);

}  // namespace cai::nn
