// Keyword arguments from an options list (include/cai/core/options.h, docs/options.md): one
// keyword per field (its name, or the list's Keyword()), read through the list's JSON reader, and
// cai.option_fields(name) describing every list for Python (tests check the keywords against it).
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>

#include "bindings.h"
#include "cai/core/options.h"

namespace cai::python {

/// The field of `fields` whose keyword is `keyword`, or nullptr.
const OptionInfo* FieldOfKeyword(const std::vector<OptionInfo>& fields, std::string_view keyword);

/// The keywords in `kwargs` as a JSON patch keyed by field name. Throws cai::Error naming an
/// unknown keyword (`callee` says whose).
nlohmann::json KwargsPatch(const std::vector<OptionInfo>& fields, const py::kwargs& kwargs, std::string_view callee);

/// A type error from the JSON reader named by the keyword (qualified lists: by their struct and
/// field, as their validation messages do).
[[noreturn]] void RethrowNamingKeyword(const OptionError& e, const std::vector<OptionInfo>& fields,
                                       const std::string& qualifier);

/// `base` with the keywords applied (not validated).
template <typename T>
T OptionsFromKwargs(const OptionList<T>& list, const py::kwargs& kwargs, T base, std::string_view callee) {
  const std::vector<OptionInfo> fields = list.Infos();
  const nlohmann::json patch = KwargsPatch(fields, kwargs, callee);
  try {
    return list.FromJson(patch, std::move(base));
  } catch (const OptionError& e) {
    RethrowNamingKeyword(e, fields, list.qualifier());
  }
}

/// The options as a dict keyed by keyword.
template <typename T>
py::dict OptionsToKwargs(const OptionList<T>& list, const T& options) {
  const nlohmann::json j = list.ToJson(options);
  py::dict d;
  for (const OptionInfo& f : list.Infos()) d[py::str(f.keyword.empty() ? f.name : f.keyword)] = JsonTo(j[f.name]);
  return d;
}

}  // namespace cai::python
