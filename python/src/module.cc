// PYBIND11_MODULE(cai._core): the error type and every registered group of bindings.
#include <algorithm>
#include <vector>

#include "bindings.h"
#include "cai/core/error.h"

namespace cai::python {
namespace {

struct Entry {
  int order;
  const char* name;
  void (*bind)(py::module_&);
};

std::vector<Entry>& Registry() {
  static std::vector<Entry> registry;
  return registry;
}

template <typename T>
py::array_t<T> Copy(std::span<const T> values, std::vector<py::ssize_t> shape) {
  py::ssize_t n = 1;
  for (py::ssize_t d : shape) n *= d;
  if (n != static_cast<py::ssize_t>(values.size())) {
    throw std::logic_error("ToArray: the shape does not match the number of values");
  }
  py::array_t<T> out(shape);
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

std::string ShapeText(const std::vector<py::ssize_t>& shape, bool expected) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += shape[i] < 0 && expected ? std::string("any") : std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

template <typename T>
std::vector<T> ValuesFrom(const py::handle& object, const std::string& field, std::vector<py::ssize_t> shape) {
  py::array_t<T, py::array::c_style | py::array::forcecast> a;
  try {
    a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(object);
  } catch (const py::error_already_set&) {
  }
  if (!a) throw Error(field + ": expected an array of numbers, got " + std::string(py::str(py::type::of(object))));
  std::vector<py::ssize_t> found(a.shape(), a.shape() + a.ndim());
  bool ok = found.size() == shape.size();
  for (std::size_t i = 0; ok && i < shape.size(); ++i) ok = shape[i] < 0 || shape[i] == found[i];
  if (!ok) {
    throw Error(field + ": array of shape " + ShapeText(found, false) + " (expected shape " + ShapeText(shape, true) + ")");
  }
  return std::vector<T>(a.data(), a.data() + a.size());
}

}  // namespace

BindingRegistration::BindingRegistration(int order, const char* name, void (*bind)(py::module_&)) {
  Registry().push_back({order, name, bind});
}

py::array_t<double> ToArray(std::span<const double> values, std::vector<py::ssize_t> shape) {
  return Copy(values, std::move(shape));
}
py::array_t<float> ToArray(std::span<const float> values, std::vector<py::ssize_t> shape) {
  return Copy(values, std::move(shape));
}
py::array_t<std::int64_t> ToArray(std::span<const int> values, std::vector<py::ssize_t> shape) {
  std::vector<std::int64_t> wide(values.begin(), values.end());
  return Copy(std::span<const std::int64_t>(wide), std::move(shape));
}

std::vector<double> DoublesFrom(const py::handle& array, const std::string& field, std::vector<py::ssize_t> shape) {
  return ValuesFrom<double>(array, field, std::move(shape));
}
std::vector<float> FloatsFrom(const py::handle& array, const std::string& field, std::vector<py::ssize_t> shape) {
  return ValuesFrom<float>(array, field, std::move(shape));
}
std::vector<py::ssize_t> ShapeOf(const py::handle& array) {
  py::array a = py::array::ensure(array);
  if (!a) throw Error("expected an array of numbers, got " + std::string(py::str(py::type::of(array))));
  return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

nlohmann::json JsonFrom(const py::handle& object) {
  py::module_ json = py::module_::import("json");
  std::string text;
  try {
    text = py::str(json.attr("dumps")(object, py::arg("allow_nan") = true)).cast<std::string>();
  } catch (const py::error_already_set& e) {
    throw Error(std::string("options: not representable as JSON (") + e.what() + ")");
  }
  return nlohmann::json::parse(text);
}

py::object JsonTo(const nlohmann::json& value) {
  return py::module_::import("json").attr("loads")(value.dump());
}

}  // namespace cai::python

PYBIND11_MODULE(_core, m) {
  namespace py = pybind11;
  m.doc() = "cai's C++ core (control as inference). Use the `cai` package, which wraps this module.";
  // cai::Error (bad input: the message names the field, the value and what was expected) arrives
  // in Python as cai.CaiError, a subclass of ValueError.
  auto& error = py::register_exception<cai::Error>(m, "CaiError", PyExc_ValueError);
  error.attr("__doc__") = "Bad input (an argument, option, file or array): the message names the field, the value "
                          "and what was expected. A ValueError.";
  auto& registry = cai::python::Registry();
  std::stable_sort(registry.begin(), registry.end(),
                   [](const auto& a, const auto& b) { return a.order < b.order; });
  for (const auto& entry : registry) entry.bind(m);
}
