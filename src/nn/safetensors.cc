#include "cai/nn/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/core/file.h"

namespace cai::nn {
namespace {

constexpr std::uint64_t kMaxHeader = 100u << 20;  // 100 MB, as the reference implementation

struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
};
constexpr DTypeInfo kDTypes[] = {{DType::kF32, "F32", 4}, {DType::kF64, "F64", 8}, {DType::kI32, "I32", 4},
                                 {DType::kI64, "I64", 8}, {DType::kU64, "U64", 8}, {DType::kU8, "U8", 1},
                                 {DType::kBool, "BOOL", 1}};

template <typename T>
Tensor Make(DType dtype, std::span<const T> values, std::vector<std::int64_t> shape) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  if (t.num_elements() != static_cast<std::int64_t>(values.size())) {
    throw Error(fmt::format("tensor: {} values do not fill shape of {} elements", values.size(), t.num_elements()));
  }
  t.bytes.resize(values.size_bytes());
  if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), values.size_bytes());
  return t;
}

template <typename T>
std::vector<T> Read(const Tensor& t, DType expected) {
  if (t.dtype != expected) {
    throw Error(fmt::format("tensor: dtype {} (expected {})", DTypeName(t.dtype), DTypeName(expected)));
  }
  std::vector<T> out(t.bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), t.bytes.data(), out.size() * sizeof(T));
  return out;
}

std::string ShapeString(std::span<const std::int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace

std::string_view DTypeName(DType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d.name;
  }
  return "?";
}

std::size_t DTypeSize(DType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d.size;
  }
  return 0;
}

std::int64_t Tensor::num_elements() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

Tensor Tensor::FromFloats(std::span<const float> v, std::vector<std::int64_t> s) { return Make(DType::kF32, v, std::move(s)); }
Tensor Tensor::FromDoubles(std::span<const double> v, std::vector<std::int64_t> s) { return Make(DType::kF64, v, std::move(s)); }
Tensor Tensor::FromInt64(std::span<const std::int64_t> v, std::vector<std::int64_t> s) { return Make(DType::kI64, v, std::move(s)); }
Tensor Tensor::FromUint64(std::span<const std::uint64_t> v, std::vector<std::int64_t> s) { return Make(DType::kU64, v, std::move(s)); }
Tensor Tensor::FromBytes(std::span<const std::uint8_t> v, std::vector<std::int64_t> s) { return Make(DType::kU8, v, std::move(s)); }
std::vector<float> Tensor::ToFloats() const { return Read<float>(*this, DType::kF32); }
std::vector<double> Tensor::ToDoubles() const { return Read<double>(*this, DType::kF64); }
std::vector<std::int64_t> Tensor::ToInt64() const { return Read<std::int64_t>(*this, DType::kI64); }
std::vector<std::uint64_t> Tensor::ToUint64() const { return Read<std::uint64_t>(*this, DType::kU64); }

std::string SerializeSafetensors(const SafetensorsFile& file) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    if (name == "__metadata__") throw Error("tensor name \"__metadata__\" is reserved");
    for (std::int64_t d : t.shape) {
      if (d < 0) throw Error(fmt::format("tensor \"{}\": negative dimension in shape {}", name, ShapeString(t.shape)));
    }
    const auto expected = static_cast<std::uint64_t>(t.num_elements()) * DTypeSize(t.dtype);
    if (expected != t.bytes.size()) {
      throw Error(fmt::format("tensor \"{}\": {} bytes for {} {} (expected {})", name, t.bytes.size(),
                              DTypeName(t.dtype), ShapeString(t.shape), expected));
    }
    header[name] = {{"dtype", DTypeName(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + expected}}};
    offset += expected;
  }
  std::string json = header.dump();
  json.append((8 - (8 + json.size()) % 8) % 8, ' ');  // data starts 8-byte aligned
  std::string out(8, '\0');
  const std::uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  out += json;
  out.reserve(out.size() + offset);
  for (const auto& [name, t] : file.tensors) out.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
  return out;
}

SafetensorsFile ParseSafetensors(std::string_view bytes, std::string_view source) {
  const auto fail = [&](const std::string& what) { return Error(fmt::format("{}: {}", source, what)); };
  if (bytes.size() < 8) throw fail(fmt::format("{} bytes is too short for a safetensors file (needs an 8-byte header length)", bytes.size()));
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  if (n > kMaxHeader) throw fail(fmt::format("header length {} is larger than the 100 MB limit", n));
  if (n > bytes.size() - 8) throw fail(fmt::format("header length {} runs past the end of the file ({} bytes)", n, bytes.size()));
  const std::string_view header_text = bytes.substr(8, n);
  const std::string_view data = bytes.substr(8 + n);
  const auto header = nlohmann::json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) throw fail("header is not valid JSON");
  if (!header.is_object()) throw fail("header is not a JSON object");
  SafetensorsFile file;
  struct Range {
    std::uint64_t begin, end;
    std::string name;
  };
  std::vector<Range> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw fail("__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) throw fail(fmt::format("__metadata__[\"{}\"] is not a string", key));
        file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    const auto bad = [&](const std::string& what) { return fail(fmt::format("tensor \"{}\": {}", name, what)); };
    if (!entry.is_object()) throw bad("entry is not an object");
    const auto dt = entry.find("dtype");
    if (dt == entry.end() || !dt->is_string()) throw bad("dtype is missing or not a string");
    const DTypeInfo* info = nullptr;
    for (const auto& d : kDTypes) {
      if (dt->get<std::string>() == d.name) info = &d;
    }
    if (info == nullptr) throw bad(fmt::format("unsupported dtype {}", dt->dump()));
    const auto sh = entry.find("shape");
    if (sh == entry.end() || !sh->is_array()) throw bad("shape is missing or not an array");
    Tensor t;
    t.dtype = info->dtype;
    std::uint64_t elements = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned()) throw bad(fmt::format("shape {} has an entry that is not an integer >= 0", sh->dump()));
      const auto v = d.get<std::uint64_t>();
      if (v != 0 && elements > std::numeric_limits<std::uint64_t>::max() / 16 / v) throw bad(fmt::format("shape {} is too large", sh->dump()));
      elements *= v;
      t.shape.push_back(static_cast<std::int64_t>(v));
    }
    const auto off = entry.find("data_offsets");
    if (off == entry.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned()) {
      throw bad("data_offsets is not two integers >= 0");
    }
    const auto begin = (*off)[0].get<std::uint64_t>(), end = (*off)[1].get<std::uint64_t>();
    if (end < begin) throw bad(fmt::format("data_offsets [{}, {}] end before they begin", begin, end));
    if (end > data.size()) throw bad(fmt::format("data_offsets [{}, {}] run past the {} data bytes", begin, end, data.size()));
    if (end - begin != elements * info->size) {
      throw bad(fmt::format("data_offsets [{}, {}] hold {} bytes but {} {} needs {}", begin, end, end - begin,
                            info->name, sh->dump(), elements * info->size));
    }
    t.bytes.assign(reinterpret_cast<const std::uint8_t*>(data.data()) + begin,
                   reinterpret_cast<const std::uint8_t*>(data.data()) + end);
    ranges.push_back({begin, end, name});
    file.tensors[name] = std::move(t);
  }
  // The data buffer must be covered exactly: no overlaps, no gaps.
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t covered = 0;
  for (const Range& r : ranges) {
    if (r.begin < covered) throw fail(fmt::format("tensor \"{}\" overlaps the tensor before it", r.name));
    if (r.begin > covered) throw fail(fmt::format("gap in the data before tensor \"{}\" (bytes {}..{})", r.name, covered, r.begin));
    covered = r.end;
  }
  if (covered != data.size()) throw fail(fmt::format("{} data bytes but the tensors cover {}", data.size(), covered));
  return file;
}

void SaveSafetensors(const std::filesystem::path& path, const SafetensorsFile& file) {
  WriteFileAtomically(path, SerializeSafetensors(file));
}

SafetensorsFile LoadSafetensors(const std::filesystem::path& path) {
  return ParseSafetensors(ReadFile(path), path.string());
}

const Tensor& RequireTensor(const SafetensorsFile& file, std::string_view name, DType dtype,
                            std::span<const std::int64_t> shape) {
  const auto it = file.tensors.find(std::string(name));
  if (it == file.tensors.end()) throw Error(fmt::format("tensor \"{}\": missing", name));
  const Tensor& t = it->second;
  if (t.dtype != dtype || !std::equal(t.shape.begin(), t.shape.end(), shape.begin(), shape.end())) {
    throw Error(fmt::format("tensor \"{}\": {} {} (expected {} {})", name, DTypeName(t.dtype), ShapeString(t.shape),
                            DTypeName(dtype), ShapeString(shape)));
  }
  return t;
}

void PutRngState(SafetensorsFile& file, const std::string& name, const RngState& state) {
  file.tensors[name] = Tensor::FromUint64(std::span<const std::uint64_t>(state.words.data(), 4), {4});
  const double cached[] = {state.has_cached_normal ? 1.0 : 0.0, state.cached_normal};
  file.tensors[name + "_normal"] = Tensor::FromDoubles(cached, {2});
}

RngState GetRngState(const SafetensorsFile& file, const std::string& name) {
  const std::int64_t four[] = {4}, two[] = {2};
  const auto words = RequireTensor(file, name, DType::kU64, four).ToUint64();
  const auto cached = RequireTensor(file, name + "_normal", DType::kF64, two).ToDoubles();
  RngState state;
  for (int i = 0; i < 4; ++i) state.words[i] = words[i];
  state.has_cached_normal = cached[0] != 0.0;
  state.cached_normal = cached[1];
  return state;
}

}  // namespace cai::nn
