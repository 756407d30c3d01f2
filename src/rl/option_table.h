// Learner options <-> JSON from one table of fields per options struct, so that every learner
// (SAC, soft DQN, actor-critic) parses config files with the same checks and the same messages:
//   <name> option "<key>": <value> is invalid (expected <what>)      wrong type or out of range
//   <name> options: unknown key "<key>"
// Integers are range-checked before narrowing (a huge value is an error, never silently wrapped).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"
#include "cai/nn/mlp.h"

namespace cai::rl::detail {

template <typename Options>
class OptionTable {
 public:
  using Json = nlohmann::json;
  /// `name` prefixes the messages: "sac", "soft-q", "actor-critic".
  explicit OptionTable(std::string name) : name_(std::move(name)) {}

  OptionTable& Number(const char* key, double Options::*field) {
    return Add(key, [field](const Options& o) { return Json(o.*field); },
               [key, field](Options& o, const Json& v, const OptionTable& t) {
                 if (!v.is_number()) throw t.Wrong(key, v, "a number");
                 o.*field = v.get<double>();
               });
  }
  OptionTable& Int(const char* key, int Options::*field) {
    return Add(key, [field](const Options& o) { return Json(o.*field); },
               [key, field](Options& o, const Json& v, const OptionTable& t) {
                 o.*field = static_cast<int>(t.Integer(key, v, std::numeric_limits<int>::min(),
                                                     std::numeric_limits<int>::max()));
               });
  }
  OptionTable& Int64(const char* key, std::int64_t Options::*field) {
    return Add(key, [field](const Options& o) { return Json(o.*field); },
               [key, field](Options& o, const Json& v, const OptionTable& t) {
                 o.*field = t.Integer(key, v, std::numeric_limits<std::int64_t>::min(),
                                    std::numeric_limits<std::int64_t>::max());
               });
  }
  OptionTable& Unsigned(const char* key, std::uint64_t Options::*field) {
    return Add(key, [field](const Options& o) { return Json(o.*field); },
               [key, field](Options& o, const Json& v, const OptionTable& t) {
                 if (!v.is_number_unsigned()) throw t.Wrong(key, v, "an integer >= 0");
                 o.*field = v.get<std::uint64_t>();
               });
  }
  OptionTable& Bool(const char* key, bool Options::*field) {
    return Add(key, [field](const Options& o) { return Json(o.*field); },
               [key, field](Options& o, const Json& v, const OptionTable& t) {
                 if (!v.is_boolean()) throw t.Wrong(key, v, "true or false");
                 o.*field = v.get<bool>();
               });
  }
  /// null <-> not set.
  OptionTable& OptionalNumber(const char* key, std::optional<double> Options::*field) {
    return Add(key, [field](const Options& o) { return (o.*field) ? Json(*(o.*field)) : Json(nullptr); },
               [key, field](Options& o, const Json& v, const OptionTable& t) {
                 if (v.is_null()) {
                   (o.*field).reset();
                 } else if (v.is_number()) {
                   o.*field = v.get<double>();
                 } else {
                   throw t.Wrong(key, v, "a number or null");
                 }
               });
  }
  /// An array of numbers; null reads as empty, and an empty list is written as `empty_as`.
  OptionTable& Numbers(const char* key, std::vector<double> Options::*field, Json empty_as = Json::array()) {
    return Add(key,
               [field, empty_as](const Options& o) { return (o.*field).empty() ? empty_as : Json(o.*field); },
               [key, field](Options& o, const Json& v, const OptionTable& t) {
                 std::vector<double> out;
                 if (!v.is_null()) {
                   if (!v.is_array()) throw t.Wrong(key, v, "an array of numbers");
                   for (const Json& x : v) {
                     if (!x.is_number()) throw t.Wrong(key, v, "an array of numbers");
                     out.push_back(x.get<double>());
                   }
                 }
                 o.*field = std::move(out);
               });
  }
  OptionTable& LayerSizes(const char* key, std::vector<int> Options::*field) {
    return Add(key, [field](const Options& o) { return Json(o.*field); },
               [key, field](Options& o, const Json& v, const OptionTable& t) {
                 if (!v.is_array()) throw t.Wrong(key, v, "an array of layer sizes");
                 std::vector<int> out;
                 for (const Json& h : v) {
                   if (!h.is_number_integer()) throw t.Wrong(key, v, "an array of integers");
                   out.push_back(static_cast<int>(t.Integer(key, h, 0, 65536)));
                 }
                 o.*field = std::move(out);
               });
  }
  OptionTable& Activation(const char* key, nn::Activation Options::*field) {
    return Add(key, [field](const Options& o) { return Json(std::string(nn::ActivationName(o.*field))); },
               [key, field](Options& o, const Json& v, const OptionTable& t) {
                 if (!v.is_string()) throw t.Wrong(key, v, "a string");
                 o.*field = nn::ParseActivation(v.get<std::string>(), fmt::format("{} option \"{}\"", t.name_, key));
               });
  }
  /// A field of another type: `get` writes it, `set` reads it (throwing via the table's Wrong).
  OptionTable& Custom(const char* key, std::function<Json(const Options&)> get,
                      std::function<void(Options&, const Json&, const OptionTable&)> set) {
    return Add(key, std::move(get), std::move(set));
  }

  Json ToJson(const Options& o) const {
    Json j = Json::object();
    for (const Field& f : fields_) j[f.key] = f.get(o);
    return j;
  }
  /// `base` with the keys present in `j` overridden (no validation of the result).
  Options FromJson(const Json& j, Options o) const {
    if (!j.is_object()) throw Error(fmt::format("{} options: expected a JSON object", name_));
    for (const auto& [key, value] : j.items()) {
      const Field* field = nullptr;
      for (const Field& f : fields_) {
        if (key == f.key) field = &f;
      }
      if (field == nullptr) throw Error(fmt::format("{} options: unknown key \"{}\"", name_, key));
      field->set(o, value, *this);
    }
    return o;
  }

  Error Wrong(std::string_view key, const Json& value, std::string_view expected) const {
    return Error(fmt::format("{} option \"{}\": {} is invalid (expected {})", name_, key, value.dump(), expected));
  }

 private:
  struct Field {
    const char* key;
    std::function<Json(const Options&)> get;
    std::function<void(Options&, const Json&, const OptionTable&)> set;
  };
  OptionTable& Add(const char* key, std::function<Json(const Options&)> get,
                   std::function<void(Options&, const Json&, const OptionTable&)> set) {
    fields_.push_back({key, std::move(get), std::move(set)});
    return *this;
  }
  std::int64_t Integer(std::string_view key, const Json& v, std::int64_t lo, std::int64_t hi) const {
    if (!v.is_number_integer()) throw Wrong(key, v, "an integer");
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
      throw Wrong(key, v, fmt::format("an integer in [{}, {}]", lo, hi));
    }
    const auto x = v.get<std::int64_t>();
    if (x < lo || x > hi) throw Wrong(key, v, fmt::format("an integer in [{}, {}]", lo, hi));
    return x;
  }

  std::string name_;
  std::vector<Field> fields_;
};

}  // namespace cai::rl::detail
