// cai._core.option_fields: every options list, as Python sees it (keyword, default, doc); and the
// keyword reader of python/src/options.h.
#include <map>

#include "cai/planning/mppi.h"
#include "cai/planning/mppi_control.h"
#include "cai/planning/pets.h"
#include "cai/rl/actor_critic.h"
#include "cai/rl/sac.h"
#include "cai/rl/soft_dqn.h"
#include "options.h"

namespace cai::python {

const OptionInfo* FieldOfKeyword(const std::vector<OptionInfo>& fields, std::string_view keyword) {
  for (const OptionInfo& f : fields) {
    if ((f.keyword.empty() ? f.name : f.keyword) == keyword) return &f;
  }
  return nullptr;
}

nlohmann::json KwargsPatch(const std::vector<OptionInfo>& fields, const py::kwargs& kwargs, std::string_view callee) {
  nlohmann::json patch = nlohmann::json::object();
  for (const auto& [key, value] : kwargs) {
    const std::string keyword = py::str(key);
    const OptionInfo* f = FieldOfKeyword(fields, keyword);
    if (f == nullptr) throw Error(fmt::format("{}: unknown keyword argument \"{}\"", callee, keyword));
    if (f->kind == OptionKind::kNumbers && !value.is_none()) {
      // One number or a sequence (list, tuple, NumPy array).
      patch[f->name] = py::isinstance<py::float_>(value) || py::isinstance<py::int_>(value)
                           ? std::vector<double>{value.cast<double>()}
                           : DoublesFrom(value, keyword, {-1});
    } else {
      patch[f->name] = JsonFrom(value);
    }
  }
  return patch;
}

void RethrowNamingKeyword(const OptionError& e, const std::vector<OptionInfo>& fields, const std::string& qualifier) {
  const OptionProblem& p = e.problem();
  const OptionInfo* f = nullptr;
  for (const OptionInfo& g : fields) {
    if (g.name == e.option()) f = &g;
  }
  if (f == nullptr || !e.qualifier().empty()) throw;
  const std::string& q = f->qualifier.empty() ? qualifier : f->qualifier;
  if (!q.empty()) throw Error(fmt::format("{}.{}: {} is invalid (expected {})", q, p.field, p.value, p.expected));
  const std::string keyword = f->keyword.empty() ? f->name : f->keyword;
  throw Error(fmt::format("{}: {} is invalid (expected {})", keyword, p.value, p.expected));
}

namespace {

template <typename T>
py::list Describe(const OptionList<T>& list) {
  py::list out;
  for (const OptionInfo& f : list.Infos()) {
    py::dict d;
    d["name"] = f.name;
    d["keyword"] = f.keyword.empty() ? f.name : f.keyword;
    d["flag"] = f.flag;
    d["doc"] = f.doc;
    d["default"] = JsonTo(f.default_value);
    out.append(d);
  }
  return out;
}

}  // namespace

CAI_PYTHON_BINDINGS(25, options) {
  m.def("option_fields", [](const std::string& name) -> py::list {
    if (name == "sac") return Describe(rl::SacOptionList());
    if (name == "soft-q") return Describe(rl::SoftQOptionList());
    if (name == "actor-critic") return Describe(rl::ActorCriticOptionList());
    if (name == "mppi") return Describe(planning::MppiOptionList());
    if (name == "mppi-control") return Describe(planning::MppiControlOptionList());
    if (name == "pets") return Describe(planning::PetsOptionList());
    throw Error(fmt::format("name: \"{}\" is invalid (expected sac, soft-q, actor-critic, mppi, mppi-control or pets)",
                            name));
  }, py::arg("name"),
  "Every field of an options list: name, keyword (the Python keyword argument), flag (the CLI flag without "
  "dashes, when not the name's), doc and default.");
}

}  // namespace cai::python
