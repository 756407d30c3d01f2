#include "option_flags.h"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/nn/mlp.h"

namespace cai::cli {
namespace {

std::string Dashed(std::string name) {
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return name;
}

// The default as --help shows it: numbers and names bare, lists comma-separated.
std::string DefaultText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + DefaultText(x);
    return s.empty() ? "none" : s;
  }
  return v.dump();
}

const char* TypeName(OptionKind kind) {
  switch (kind) {
    case OptionKind::kInt:
    case OptionKind::kInt64: return "INT";
    case OptionKind::kUnsigned: return "UINT";
    case OptionKind::kNumber:
    case OptionKind::kOptionalNumber: return "FLOAT";
    case OptionKind::kNumbers: return "FLOAT,...";
    case OptionKind::kLayerSizes: return "INT,...";
    case OptionKind::kChoice: return "NAME";
    case OptionKind::kString: return "TEXT";
    case OptionKind::kBool: return "";
  }
  return "";
}

[[noreturn]] void NotA(const std::string& flag, const std::string& text, const char* what) {
  throw Error(fmt::format("{}: \"{}\" is invalid (expected {})", flag, text, what));
}

nlohmann::json Number(const std::string& flag, const std::string& text, const char* what) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) NotA(flag, text, what);
  return v;
}

nlohmann::json Integer(const std::string& flag, const std::string& text, bool is_unsigned) {
  const char* what = is_unsigned ? "an integer >= 0" : "an integer";
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (is_unsigned) {
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(first, last, v);
    if (text.empty() || ec != std::errc() || ptr != last) NotA(flag, text, what);
    return v;
  }
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(first, last, v);
  if (text.empty() || ec != std::errc() || ptr != last) NotA(flag, text, what);
  return v;
}

}  // namespace

OptionFlags::OptionFlags(CLI::App* cmd, const std::vector<OptionInfo>& fields, const std::vector<std::string>& skip) {
  for (const OptionInfo& info : fields) {
    if (std::find(skip.begin(), skip.end(), info.name) != skip.end()) continue;
    Flag& f = flags_.emplace_back();
    f.info = info;
    f.name = "--" + (info.flag.empty() ? Dashed(info.name) : info.flag);
    std::string help = info.doc;
    // The field's name where the flag is spelled otherwise: the key of --config and of Python.
    if (f.name != "--" + Dashed(info.name) && info.kind != OptionKind::kBool) help += " (" + info.name + ")";
    if (info.kind == OptionKind::kBool) {
      if (!info.flag_sets) help = fmt::format("turn off: {} ({} = false)", info.doc, info.name);
      f.option = cmd->add_flag(f.name)->description(help);
      continue;
    }
    if (info.kind == OptionKind::kChoice) {
      std::string names;
      for (const auto& c : info.choices) names += (names.empty() ? "" : ", ") + c;
      help += ": " + names;
    }
    f.option = info.kind == OptionKind::kNumbers ? cmd->add_option(f.name, f.items, help)->delimiter(',')
                                                 : cmd->add_option(f.name, f.text, help);
    f.option->type_name(TypeName(info.kind));
    if (!info.default_value.is_null()) {
      f.option->default_str(DefaultText(info.default_value));
    } else {
      f.option->default_str("none");
    }
  }
}

const OptionFlags::Flag* OptionFlags::Find(std::string_view field) const {
  for (const Flag& f : flags_) {
    if (f.info.name == field) return &f;
  }
  return nullptr;
}

bool OptionFlags::given(std::string_view field) const {
  const Flag* f = Find(field);
  return f != nullptr && f->option->count() > 0;
}

std::string OptionFlags::flag(std::string_view field) const {
  const Flag* f = Find(field);
  return f == nullptr ? std::string(field) : f->name;
}

nlohmann::json OptionFlags::Given() const {
  nlohmann::json patch = nlohmann::json::object();
  for (const Flag& f : flags_) {
    if (f.option->count() == 0) continue;
    nlohmann::json& v = patch[f.info.name];
    switch (f.info.kind) {
      case OptionKind::kBool: v = f.info.flag_sets; break;
      case OptionKind::kInt:
      case OptionKind::kInt64: v = Integer(f.name, f.text, false); break;
      case OptionKind::kUnsigned: v = Integer(f.name, f.text, true); break;
      case OptionKind::kNumber:
      case OptionKind::kOptionalNumber: v = Number(f.name, f.text, "a number"); break;
      case OptionKind::kNumbers:
        v = nlohmann::json::array();
        for (const std::string& item : f.items) v.push_back(Number(f.name, item, "comma-separated numbers"));
        break;
      case OptionKind::kLayerSizes: v = nn::ParseLayerSizes(f.text, f.name); break;
      case OptionKind::kChoice:
      case OptionKind::kString: v = f.text; break;
    }
  }
  return patch;
}

void OptionFlags::Rethrow(const OptionError& e) const {
  const OptionProblem& p = e.problem();
  const Flag* f = Find(e.option());
  if (f == nullptr || f->option->count() == 0 ||
      (!e.qualifier().empty() && !f->info.qualifier.empty() && e.qualifier() != f->info.qualifier)) {
    throw;
  }
  const std::string index = p.field.substr(f->info.name.size());  // "[1]" or ""
  if (!e.qualifier().empty()) throw Error(fmt::format("{}{} = {}; expected {}", f->name, index, p.value, p.expected));
  throw Error(fmt::format("{}: {}: {} is invalid (expected {})", f->name, p.field, p.value, p.expected));
}

}  // namespace cai::cli
