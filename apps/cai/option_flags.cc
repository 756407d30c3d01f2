#include "option_flags.h"

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai::cli {
namespace {

std::string Dashed(std::string name) {
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return name;
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

}  // namespace

OptionFlags::OptionFlags(CLI::App* cmd, const std::vector<OptionInfo>& fields, const std::vector<std::string>& skip)
    : cmd_(cmd) {
  for (const OptionInfo& info : fields) {
    if (std::find(skip.begin(), skip.end(), info.name) != skip.end()) continue;
    Flag& f = flags_.emplace_back();
    f.info = info;
    f.name = "--" + (info.flag.empty() ? Dashed(info.name) : info.flag);
    std::string help = info.doc;
    // The field's name where the flag is spelled otherwise: the key of --config and of Python.
    if (f.name != "--" + Dashed(info.name) && info.flag_sets) help += " (" + info.name + ")";
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
    f.option = cmd->add_option(f.name, f.items, help)->type_name(TypeName(info.kind));
    f.option->default_str(OptionDefaultText(info.default_value));
    if (info.kind == OptionKind::kNumbers || info.kind == OptionKind::kLayerSizes) {
      f.option->delimiter(',');
    } else {
      f.option->expected(1);
    }
  }
}

const OptionFlags::Flag* OptionFlags::Find(std::string_view field) const {
  for (const Flag& f : flags_) {
    if (f.info.name == field) return &f;
  }
  return nullptr;
}

nlohmann::json OptionFlags::Given() const {
  nlohmann::json patch = nlohmann::json::object();
  for (const Flag& f : flags_) {
    if (f.option->count() == 0) continue;
    patch[f.info.name] = f.info.kind == OptionKind::kBool ? nlohmann::json(f.info.flag_sets)
                                                          : OptionFromText(f.info, f.items, f.name);
  }
  return patch;
}

void OptionFlags::Rethrow(const OptionError& e) const {
  const OptionProblem& p = e.problem();
  const Flag* f = Find(e.option());
  if (f == nullptr && cmd_->get_option_no_throw("--" + Dashed(e.option())) != nullptr) {
    // A field the command has its own flag for (--env): the flag, then the library's message.
    throw Error(fmt::format("--{}: {}", Dashed(e.option()), e.what()));
  }
  if (f == nullptr || f->option->count() == 0 ||
      (!e.qualifier().empty() && !f->info.qualifier.empty() && e.qualifier() != f->info.qualifier)) {
    throw;
  }
  const std::string index = p.field.substr(f->info.name.size());  // "[1]" or ""
  throw Error(fmt::format("{}{}: {} is invalid (expected {})", f->name, index, p.value, p.expected));
}

}  // namespace cai::cli
