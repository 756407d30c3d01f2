// Options declared once (docs/options.md). Each options struct lists its fields in one
// OptionList: name, one-line doc, validity rule, and optionally the CLI flag's name. The default is
// the struct's own. From that list come JSON read and write, validation, the CLI flags and their
// --help (apps/cai/option_flags.h) and the Python keywords (python/src), so that a field is
// declared in the struct and named in the list, nowhere else.
//
// Messages (one dialect; the field's place is qualified by its struct in planning's lists):
//   "<field>: <value> is invalid (expected <what>)"            validation, unqualified lists (rl)
//   "<Struct>.<field>: <value> is invalid (expected <what>)"   validation, qualified lists (planning)
//   "--<flag>: <value> is invalid (expected <what>)"           the same error in the CLI
//   "<name> option \"<key>\": <json> is invalid (expected <what>)"   JSON value of the wrong type
//   "<name> options: unknown key \"<key>\""
// Every one of them is an OptionError carrying the field, the value and what was expected, so that
// a front end names the option its own way (the CLI's flag, Python's keyword).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cai/core/error.h"

namespace cai {

/// One invalid option: the field ("hidden[1]"), its value as text, and what was expected.
struct OptionProblem {
  std::string field;
  std::string value;
  std::string expected;
};

/// A cai::Error about one option, with its parts.
class OptionError : public Error {
 public:
  OptionError(const std::string& message, OptionProblem problem, std::string qualifier)
      : Error(message), problem_(std::move(problem)), qualifier_(std::move(qualifier)) {}
  const OptionProblem& problem() const { return problem_; }
  /// The struct a qualified list names ("MppiOptions"); empty for unqualified lists.
  const std::string& qualifier() const { return qualifier_; }
  /// The field without an element index: "hidden" for "hidden[1]".
  std::string option() const { return problem_.field.substr(0, problem_.field.find('[')); }

 private:
  OptionProblem problem_;
  std::string qualifier_;
};

/// Throws the OptionError of `problem` in the spelling of `qualifier` (see the top of this file).
[[noreturn]] void ThrowInvalidOption(OptionProblem problem, const std::string& qualifier = "");

/// The JSON (and CLI, Python) shape of a field.
enum class OptionKind {
  kBool,
  kInt,
  kInt64,
  kUnsigned,
  kNumber,
  kOptionalNumber,  ///< a number or null (not set)
  kNumbers,         ///< an array of numbers
  kLayerSizes,      ///< an array of integers in [0, 65536]
  kChoice,          ///< one of a few names
  kString,
};

/// What a front end needs to know of one field, without the struct's type.
struct OptionInfo {
  std::string name;
  std::string doc;
  OptionKind kind = OptionKind::kNumber;
  std::vector<std::string> choices;  ///< kChoice: the names
  /// The CLI flag without the dashes; the default is the name with '_' -> '-'.
  std::string flag;
  /// The Python keyword; empty: the name.
  std::string keyword;
  /// kBool: the value the bare flag sets (a flag without a value).
  bool flag_sets = true;
  /// The qualifier of the list that validates the field (nested fields keep their own).
  std::string qualifier;
  /// The field of a default-constructed struct, as JSON.
  nlohmann::json default_value;
};

/// A field's value from command-line text (`items`: the comma-separated parts; one for scalars),
/// as JSON for OptionList::FromJson; kBool is not read from text. Throws cai::Error naming `flag`
/// for text that is not of the field's kind.
nlohmann::json OptionFromText(const OptionInfo& field, const std::vector<std::string>& items, std::string_view flag);
/// A default as a command line would spell it: numbers and names bare, lists comma-separated,
/// none for null or empty.
std::string OptionDefaultText(const nlohmann::json& value);

/// A validity rule on one field's value: `ok(value)`, else "expected <expected>". For a vector
/// field, Each() rules apply to every element ("field[i]").
template <typename V>
struct OptionRule {
  std::function<bool(const V&)> ok;
  std::string expected;
};

template <typename V>
OptionRule<V> Rule(std::function<bool(const V&)> ok, std::string expected) {
  return {std::move(ok), std::move(expected)};
}
/// lo <= v <= hi.
template <typename V>
OptionRule<V> InRange(V lo, V hi, std::string expected) {
  return {[lo, hi](const V& v) { return v >= lo && v <= hi; }, std::move(expected)};
}
/// v >= lo.
template <typename V>
OptionRule<V> AtLeast(V lo, std::string expected) {
  return {[lo](const V& v) { return v >= lo; }, std::move(expected)};
}
/// An integer >= 1.
OptionRule<int> AtLeastOne();
/// Finite and > 0 ("a finite number > 0" unless told otherwise).
OptionRule<double> FinitePositive(std::string expected = "a finite number > 0");
/// Finite and >= 0.
OptionRule<double> FiniteNonNegative(std::string expected = "a finite number >= 0");
/// A rule on every element of a vector field.
template <typename E>
struct EachRule {
  OptionRule<E> rule;
};
template <typename E>
EachRule<E> Each(OptionRule<E> rule) {
  return {std::move(rule)};
}

namespace detail {
std::int64_t JsonInteger(const nlohmann::json& v, std::int64_t lo, std::int64_t hi, std::optional<OptionProblem>& p);
template <typename V>
std::string OptionText(const V& v) {
  if constexpr (std::is_same_v<V, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_same_v<V, std::string>) {
    return nlohmann::json(v).dump();
  } else if constexpr (requires { v.begin(); }) {
    return nlohmann::json(v).dump();
  } else {
    return fmt::format("{}", v);
  }
}
}  // namespace detail

/// The field list of options struct T. Declare it once, in the module's .cc, as a function-local
/// static; see docs/options.md.
template <typename T>
class OptionList {
 public:
  using Json = nlohmann::json;

  /// `name` prefixes the JSON messages ("sac"); `qualifier` non-empty selects the qualified
  /// validation messages ("MppiOptions.samples = 0; expected ...").
  explicit OptionList(std::string name, std::string qualifier = "")
      : name_(std::move(name)), qualifier_(std::move(qualifier)) {}

  /// A field: its JSON key (= Python keyword, = CLI flag with '_' -> '-'), doc and rule.
  template <typename V>
  OptionList& Add(const char* key, V T::*member, const char* doc, OptionRule<V> rule = {}) {
    AddField(key, member, doc);
    if (rule.ok) AddRule(key, member, std::move(rule));
    return *this;
  }
  template <typename E>
  OptionList& Add(const char* key, std::vector<E> T::*member, const char* doc, EachRule<E> each) {
    AddField(key, member, doc);
    AddEach(key, member, std::move(each.rule));
    return *this;
  }
  /// An optional number: the rule applies when set.
  OptionList& Add(const char* key, std::optional<double> T::*member, const char* doc, OptionRule<double> rule = {}) {
    AddField(key, member, doc);
    if (rule.ok) {
      checks_.push_back([key, member, rule](const T& o) -> std::optional<OptionProblem> {
        if (!(o.*member) || rule.ok(*(o.*member))) return std::nullopt;
        return OptionProblem{key, detail::OptionText(*(o.*member)), rule.expected};
      });
    }
    return *this;
  }
  /// A field of enum type E written as one of `names` (values[i] <-> names[i]).
  template <typename E>
  OptionList& Choice(const char* key, E T::*member, const char* doc, std::vector<std::pair<E, std::string>> values) {
    OptionInfo info = Info(key, doc, OptionKind::kChoice);
    std::string expected;
    for (std::size_t i = 0; i < values.size(); ++i) {
      info.choices.push_back(values[i].second);
      expected += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + Json(values[i].second).dump();
    }
    fields_.push_back(
        {std::move(info),
         [member, values](const T& o) {
           for (const auto& [e, n] : values) {
             if (o.*member == e) return Json(n);
           }
           return Json(nullptr);
         },
         [member, values, key, expected](T& o, const Json& v) -> std::optional<OptionProblem> {
           for (const auto& [e, n] : values) {
             if (v.is_string() && v.get<std::string>() == n) {
               o.*member = e;
               return std::nullopt;
             }
           }
           return OptionProblem{key, v.dump(), expected};
         }});
    return *this;
  }
  /// A cross-field rule, checked in list order after the fields before it.
  OptionList& Check(std::function<std::optional<OptionProblem>(const T&)> check) {
    checks_.push_back(std::move(check));
    return *this;
  }
  /// The fields of `sub` (all, or those in `keys`) as fields of T through `member`, with their
  /// rules; `sub`'s qualifier names them in messages.
  template <typename U>
  OptionList& Nest(U T::*member, const OptionList<U>& sub, std::vector<std::string> keys = {}, bool rules = true) {
    for (const auto& f : sub.fields()) {
      if (!keys.empty() && std::find(keys.begin(), keys.end(), f.info.name) == keys.end()) continue;
      OptionInfo info = f.info;
      if (info.qualifier.empty()) info.qualifier = sub.qualifier();
      fields_.push_back({std::move(info), [member, get = f.get](const T& o) { return get(o.*member); },
                         [member, set = f.set](T& o, const Json& v) { return set(o.*member, v); }});
    }
    if (rules) {
      checks_.push_back([member, &sub](const T& o) -> std::optional<OptionProblem> {
        sub.Validate(o.*member);
        return std::nullopt;
      });
    }
    return *this;
  }

  // Modifiers of the last field added.
  /// The CLI flag (without the dashes) when it is not the key with '_' -> '-'.
  OptionList& Flag(const char* flag) {
    fields_.back().info.flag = flag;
    return *this;
  }
  /// kBool: the bare flag sets `value` (e.g. --no-bootstrap sets bootstrap = false).
  OptionList& Flag(const char* flag, bool value) {
    fields_.back().info.flag = flag;
    fields_.back().info.flag_sets = value;
    return *this;
  }
  /// The Python keyword when it is not the key.
  OptionList& Keyword(const char* keyword) {
    fields_.back().info.keyword = keyword;
    return *this;
  }
  /// kNumbers: how an empty array is written (e.g. null).
  OptionList& EmptyAs(Json empty) {
    fields_.back().empty_as = std::move(empty);
    return *this;
  }

  const std::string& name() const { return name_; }
  const std::string& qualifier() const { return qualifier_; }

  /// Throws OptionError for the first rule `o` breaks, in list order.
  void Validate(const T& o) const {
    for (const auto& check : checks_) {
      if (auto p = check(o)) ThrowInvalidOption(std::move(*p), qualifier_);
    }
  }
  Json ToJson(const T& o) const {
    Json j = Json::object();
    for (const auto& f : fields_) {
      Json v = f.get(o);
      if (f.empty_as && v.is_array() && v.empty()) v = *f.empty_as;
      j[f.info.name] = std::move(v);
    }
    return j;
  }
  /// `base` with the keys of `j` overridden; not validated. Throws OptionError for an unknown key
  /// or a value of the wrong type.
  T FromJson(const Json& j, T o) const {
    if (!j.is_object()) {
      throw OptionError(fmt::format("{} options: expected a JSON object", name_), {"", j.dump(), "a JSON object"}, "");
    }
    for (const auto& [key, value] : j.items()) {
      const Field* field = Find(key);
      if (field == nullptr) {
        throw OptionError(fmt::format("{} options: unknown key \"{}\"", name_, key),
                          {key, "", "one of the option names"}, "");
      }
      if (auto p = field->set(o, value)) {
        const std::string message =
            fmt::format("{} option \"{}\": {} is invalid (expected {})", name_, key, p->value, p->expected);
        throw OptionError(message, std::move(*p), "");
      }
    }
    return o;
  }
  /// Every field, with the defaults of T{}.
  std::vector<OptionInfo> Infos() const { return Infos(T{}); }
  /// Every field, with the defaults of `defaults`.
  std::vector<OptionInfo> Infos(const T& defaults) const {
    std::vector<OptionInfo> out;
    const Json d = ToJson(defaults);
    for (const auto& f : fields_) {
      out.push_back(f.info);
      if (out.back().qualifier.empty()) out.back().qualifier = qualifier_;
      out.back().default_value = d[f.info.name];
    }
    return out;
  }

  struct Field {
    OptionInfo info;
    std::function<Json(const T&)> get;
    std::function<std::optional<OptionProblem>(T&, const Json&)> set;
    std::optional<Json> empty_as = std::nullopt;
  };
  const std::vector<Field>& fields() const { return fields_; }

 private:
  using Problem = std::optional<OptionProblem>;

  OptionInfo Info(const char* key, const char* doc, OptionKind kind) const {
    OptionInfo info;
    info.name = key;
    info.doc = doc;
    info.kind = kind;
    return info;
  }
  const Field* Find(std::string_view key) const {
    for (const auto& f : fields_) {
      if (f.info.name == key) return &f;
    }
    return nullptr;
  }
  template <typename V>
  void AddRule(const char* key, V T::*member, OptionRule<V> rule) {
    checks_.push_back([key, member, rule = std::move(rule)](const T& o) -> Problem {
      if (rule.ok(o.*member)) return std::nullopt;
      return OptionProblem{key, detail::OptionText(o.*member), rule.expected};
    });
  }
  template <typename E>
  void AddEach(const char* key, std::vector<E> T::*member, OptionRule<E> rule) {
    checks_.push_back([key, member, rule = std::move(rule)](const T& o) -> Problem {
      const std::vector<E>& v = o.*member;
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (!rule.ok(v[i])) return OptionProblem{fmt::format("{}[{}]", key, i), detail::OptionText(v[i]), rule.expected};
      }
      return std::nullopt;
    });
  }

  // The JSON reader and writer of each field type.
  template <typename V>
  void AddField(const char* key, V T::*member, const char* doc) {
    const auto wrong = [key](const Json& v, std::string expected) { return OptionProblem{key, v.dump(), expected}; };
    Field f;
    f.get = [member](const T& o) {
      if constexpr (std::is_same_v<V, std::optional<double>>) {
        return (o.*member) ? Json(*(o.*member)) : Json(nullptr);
      } else {
        return Json(o.*member);
      }
    };
    if constexpr (std::is_same_v<V, bool> || std::is_same_v<V, std::string> || std::is_same_v<V, std::uint64_t> ||
                  std::is_same_v<V, double>) {
      // A JSON value of one type, read as is.
      constexpr bool kIsBool = std::is_same_v<V, bool>, kIsString = std::is_same_v<V, std::string>;
      constexpr bool kIsUnsigned = std::is_same_v<V, std::uint64_t>;
      f.info = Info(key, doc, kIsBool ? OptionKind::kBool : kIsString ? OptionKind::kString
                                  : kIsUnsigned ? OptionKind::kUnsigned : OptionKind::kNumber);
      f.set = [member, wrong](T& o, const Json& v) -> Problem {
        const bool ok = kIsBool ? v.is_boolean() : kIsString ? v.is_string() : kIsUnsigned ? v.is_number_unsigned() : v.is_number();
        if (!ok) return wrong(v, kIsBool ? "true or false" : kIsString ? "a string" : kIsUnsigned ? "an integer >= 0" : "a number");
        o.*member = v.get<V>();
        return std::nullopt;
      };
    } else if constexpr (std::is_same_v<V, int> || std::is_same_v<V, std::int64_t>) {
      f.info = Info(key, doc, std::is_same_v<V, int> ? OptionKind::kInt : OptionKind::kInt64);
      f.set = [member, key](T& o, const Json& v) -> Problem {
        Problem p;
        const std::int64_t x = detail::JsonInteger(v, std::numeric_limits<V>::min(), std::numeric_limits<V>::max(), p);
        if (p) {
          p->field = key;
          return p;
        }
        o.*member = static_cast<V>(x);
        return std::nullopt;
      };
    } else if constexpr (std::is_same_v<V, std::optional<double>>) {
      f.info = Info(key, doc, OptionKind::kOptionalNumber);
      f.set = [member, wrong](T& o, const Json& v) -> Problem {
        if (v.is_null()) {
          (o.*member).reset();
        } else if (v.is_number()) {
          o.*member = v.get<double>();
        } else {
          return wrong(v, "a number or null");
        }
        return std::nullopt;
      };
    } else if constexpr (std::is_same_v<V, std::vector<double>>) {
      f.info = Info(key, doc, OptionKind::kNumbers);
      f.set = [member, wrong](T& o, const Json& v) -> Problem {
        std::vector<double> out;
        if (!v.is_null()) {
          if (!v.is_array()) return wrong(v, "an array of numbers");
          for (const Json& x : v) {
            if (!x.is_number()) return wrong(v, "an array of numbers");
            out.push_back(x.get<double>());
          }
        }
        o.*member = std::move(out);
        return std::nullopt;
      };
    } else {
      static_assert(std::is_same_v<V, std::vector<int>>, "OptionList: unsupported field type");
      f.info = Info(key, doc, OptionKind::kLayerSizes);
      f.set = [member, wrong, key](T& o, const Json& v) -> Problem {
        if (!v.is_array()) return wrong(v, "an array of layer sizes");
        std::vector<int> out;
        for (const Json& h : v) {
          if (!h.is_number_integer()) return wrong(v, "an array of integers");
          Problem p;
          out.push_back(static_cast<int>(detail::JsonInteger(h, 0, 65536, p)));
          if (p) {
            p->field = key;
            return p;
          }
        }
        o.*member = std::move(out);
        return std::nullopt;
      };
    }
    fields_.push_back(std::move(f));
  }

  std::string name_;
  std::string qualifier_;
  std::vector<Field> fields_;
  std::vector<std::function<Problem(const T&)>> checks_;
};

}  // namespace cai
