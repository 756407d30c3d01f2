#include "cai/nn/safetensors.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"
#include "cai/nn/mlp_safetensors.h"

namespace cai::nn {
namespace {

using ::testing::HasSubstr;

SafetensorsFile Sample() {
  SafetensorsFile f;
  const float w[] = {1.0f, -2.5f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                     std::numeric_limits<float>::denorm_min(), -0.0f};
  f.tensors["w"] = Tensor::FromFloats(w, {2, 3});
  const double d[] = {1e-310, 3.0};
  f.tensors["d"] = Tensor::FromDoubles(d, {2});
  const std::int64_t i[] = {-1, 1LL << 62};
  f.tensors["i"] = Tensor::FromInt64(i, {1, 2});
  const std::uint64_t u[] = {~0ULL};
  f.tensors["u"] = Tensor::FromUint64(u, {1});
  const std::uint8_t b[] = {9, 8, 7};
  f.tensors["b"] = Tensor::FromBytes(b, {3});
  f.tensors["scalar"] = Tensor::FromDoubles(d, {2});
  f.tensors["empty"] = Tensor::FromFloats({}, {0, 5});
  f.metadata["k"] = "v";
  return f;
}

std::string Header(std::string_view json, std::string_view data = "") {
  std::string out(8, '\0');
  const std::uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  return out + std::string(json) + std::string(data);
}

TEST(Safetensors, RoundTripIsBitExactForEveryDtype) {
  const SafetensorsFile f = Sample();
  const std::string bytes = SerializeSafetensors(f);
  const SafetensorsFile g = ParseSafetensors(bytes, "mem");
  ASSERT_EQ(g.tensors.size(), f.tensors.size());
  for (const auto& [name, t] : f.tensors) {
    const Tensor& u = g.tensors.at(name);
    EXPECT_EQ(u.dtype, t.dtype) << name;
    EXPECT_EQ(u.shape, t.shape) << name;
    EXPECT_EQ(u.bytes, t.bytes) << name;  // NaN, inf, denormals, -0 bit for bit
  }
  EXPECT_EQ(g.metadata, f.metadata);
  EXPECT_EQ(SerializeSafetensors(g), bytes);
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ((8 + n) % 8, 0u) << "data must start 8-byte aligned";
}

TEST(Safetensors, LayoutIsPinned) {
  SafetensorsFile f;
  const float v[] = {1.0f, 2.0f};
  f.tensors["a"] = Tensor::FromFloats(v, {2});
  f.metadata["m"] = "x";
  const std::string json = R"({"__metadata__":{"m":"x"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  std::string padded = json;
  padded.append((8 - (8 + json.size()) % 8) % 8, ' ');
  std::string data(8, '\0');
  std::memcpy(data.data(), v, 8);
  EXPECT_EQ(SerializeSafetensors(f), Header(padded, data));
}

TEST(Safetensors, CorruptFilesAreClearErrors) {
  const auto expect = [](const std::string& bytes, const std::string& message) {
    EXPECT_THAT([&] { ParseSafetensors(bytes, "f.st"); }, ::testing::ThrowsMessage<Error>(HasSubstr(message)))
        << message;
  };
  expect("abc", "f.st: 3 bytes is too short");
  std::string huge(8, '\0');
  const std::uint64_t big = 1ULL << 40;
  std::memcpy(huge.data(), &big, 8);
  expect(huge, "larger than the 100 MB limit");
  expect(Header("{}").substr(0, 8) + "{", "runs past the end");
  expect(Header("{nope"), "not valid JSON");
  expect(Header("[1]"), "not a JSON object");
  expect(Header(R"({"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}})", "xxxx"), "unsupported dtype \"F17\"");
  expect(Header(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "xxxx"), "not an integer >= 0");
  expect(Header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", "xxxx"), "end before they begin");
  expect(Header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}})", "xxxx"), "run past the 4 data bytes");
  expect(Header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "xxxx"), "needs 8");
  expect(Header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", "xxxx"), "not two integers");
  expect(Header(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})", "xxx"),
         "overlaps");
  expect(Header(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", "xx"), "gap in the data");
  expect(Header(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", "xx"), "2 data bytes but the tensors cover 1");
  expect(Header(R"({"__metadata__":{"k":1}})"), "__metadata__[\"k\"] is not a string");
  expect(Header(R"({"a":{"dtype":"U8","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,1]}})", "x"),
         "too large");
}

TEST(Safetensors, TruncationsAndBitFlipsNeverCrash) {
  // Every prefix of a valid file, and single-byte corruptions everywhere in it, either parse or
  // throw cai::Error (run under ASan/UBSan by `make sanitize`).
  const std::string bytes = SerializeSafetensors(Sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(ParseSafetensors(bytes.substr(0, n), "t"), Error) << n;
  }
  Rng rng(1);
  int parsed = 0, rejected = 0;
  for (std::size_t pos = 0; pos < bytes.size(); ++pos) {
    for (int k = 0; k < 3; ++k) {
      std::string c = bytes;
      c[pos] = static_cast<char>(rng.UniformInt(256));
      try {
        ParseSafetensors(c, "t");
        ++parsed;
      } catch (const Error&) {
        ++rejected;
      }
    }
  }
  EXPECT_GT(parsed, 0);    // flips in the data section are valid files
  EXPECT_GT(rejected, 0);  // flips in the header are caught
}

TEST(Safetensors, RequireTensorAndMlpRoundTrip) {
  Rng rng(2);
  Mlp net({3, {5, 4}, 2, Activation::kElu, Activation::kTanh}, rng);
  SafetensorsFile f;
  AddMlp(f, "actor", net);
  const SafetensorsFile g = ParseSafetensors(SerializeSafetensors(f), "mem");
  const MlpSpec spec = ReadMlpSpec(g, "actor");
  EXPECT_EQ(spec.hidden, (std::vector<int>{5, 4}));
  EXPECT_EQ(spec.hidden_activation, Activation::kElu);
  EXPECT_EQ(spec.output_activation, Activation::kTanh);
  Rng other(3);
  Mlp copy(spec, other);
  LoadMlpParameters(g, "actor", copy);
  EXPECT_TRUE(std::equal(copy.parameters().begin(), copy.parameters().end(), net.parameters().begin()));
  EXPECT_EQ(g.tensors.at("actor.0.weight").shape, (std::vector<std::int64_t>{5, 3}));
  Mlp wrong({3, {6, 4}, 2}, other);
  EXPECT_THAT([&] { LoadMlpParameters(g, "actor", wrong); },
              ::testing::ThrowsMessage<Error>(HasSubstr("tensor \"actor.0.weight\": F32 [5, 3] (expected F32 [6, 3])")));
  EXPECT_THAT([&] { LoadMlpParameters(g, "critic", wrong); },
              ::testing::ThrowsMessage<Error>(HasSubstr("tensor \"critic.0.weight\": missing")));
  EXPECT_THAT([&] { g.tensors.at("actor.0.bias").ToDoubles(); },
              ::testing::ThrowsMessage<Error>(HasSubstr("dtype F32 (expected F64)")));
}

TEST(Safetensors, FilesAreWrittenAtomicallyAndMissingFilesNamed) {
  const auto dir = std::filesystem::temp_directory_path() / "cai_safetensors_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / "x.safetensors";
  SaveSafetensors(path, Sample());
  SaveSafetensors(path, Sample());
  EXPECT_EQ(LoadSafetensors(path).metadata.at("k"), "v");
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1) << "no temporary files left behind";
  EXPECT_THAT([&] { LoadSafetensors(dir / "missing.safetensors"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("missing.safetensors: cannot read")));
  EXPECT_THAT([&] { SaveSafetensors(dir / "no" / "such" / "dir.st", Sample()); },
              ::testing::ThrowsMessage<Error>(HasSubstr("dir.st: cannot write")));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cai::nn
