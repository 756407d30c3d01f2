// CLI flags derived from an options list (include/cai/core/options.h, docs/options.md): one flag
// per field, named by the list (the field name with '_' -> '-' unless the list gives another), its
// --help the field's doc and default; and errors about a field whose flag was given, named by
// that flag: "--batch: batch_size: 0 is invalid (expected ...)" (the flag, then the field), and
// for qualified lists "--members = 0; expected ..." (the flag in the field's place).
#pragma once

#include <list>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cai/core/options.h"

namespace cai::cli {

class OptionFlags {
 public:
  /// Adds a flag to `cmd` for every field of `fields` except those in `skip`.
  OptionFlags(CLI::App* cmd, const std::vector<OptionInfo>& fields, const std::vector<std::string>& skip = {});

  /// The fields whose flags were given, as a JSON object keyed by field name. Throws cai::Error
  /// naming the flag for a value that is not of the field's kind.
  nlohmann::json Given() const;

  /// fn(), with an OptionError about a field whose flag was given rethrown naming the flag.
  template <typename F>
  decltype(auto) Named(F&& fn) const {
    try {
      return fn();
    } catch (const OptionError& e) {
      Rethrow(e);
    }
  }
  /// `base` with the given flags applied through `list`'s JSON reader (not validated).
  template <typename T>
  T Apply(const OptionList<T>& list, T base) const {
    return Named([&] { return list.FromJson(Given(), std::move(base)); });
  }

 private:
  struct Flag {
    OptionInfo info;
    std::string name;  // "--batch"
    CLI::Option* option = nullptr;
    std::vector<std::string> items;  // the value, split at commas for lists
  };
  const Flag* Find(std::string_view field) const;
  [[noreturn]] void Rethrow(const OptionError& e) const;

  CLI::App* cmd_;
  std::list<Flag> flags_;  // stable addresses: CLI11 writes into them
};

}  // namespace cai::cli
