// Shared helpers of the pybind11 bindings. The bindings hold no logic: they convert arguments
// (NumPy arrays, dicts as JSON) to the library's types, call it with the GIL released when the
// call is long, and convert the results back. cai::Error becomes cai.CaiError, a ValueError.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace cai::python {

namespace py = pybind11;

/// Binding functions register themselves (CAI_PYTHON_BINDINGS below) and run in `order`
/// (lower first), so that base classes exist before the classes that derive from them.
struct BindingRegistration {
  BindingRegistration(int order, const char* name, void (*bind)(py::module_&));
};

#define CAI_PYTHON_BINDINGS(order, name)                                                 \
  static void CaiBind_##name(::pybind11::module_& m);                                    \
  static const ::cai::python::BindingRegistration cai_binding_registration_##name(order, \
                                                                                 #name,  \
                                                                                 &CaiBind_##name); \
  static void CaiBind_##name(::pybind11::module_& m)

/// A C-contiguous float64 NumPy array of `shape` holding a copy of `values`.
py::array_t<double> ToArray(std::span<const double> values, std::vector<py::ssize_t> shape);
py::array_t<float> ToArray(std::span<const float> values, std::vector<py::ssize_t> shape);
py::array_t<std::int64_t> ToArray(std::span<const int> values, std::vector<py::ssize_t> shape);

/// The values of `array` (any numeric dtype, cast to double) in C order, checked to have
/// `ndim` dimensions (and, for entries >= 0 in `shape`, those sizes). Throws cai::Error naming
/// `field`, the shape found and the shape expected.
std::vector<double> DoublesFrom(const py::handle& array, const std::string& field, std::vector<py::ssize_t> shape);
std::vector<float> FloatsFrom(const py::handle& array, const std::string& field, std::vector<py::ssize_t> shape);
/// The shape of what DoublesFrom read last is not kept; this reads the shape of `array`.
std::vector<py::ssize_t> ShapeOf(const py::handle& array);

/// A Python object (dict, list, number, str, bool, None) as JSON, through the json module, so
/// that option dicts reach the library's own *FromJson parsers (which name unknown keys).
nlohmann::json JsonFrom(const py::handle& object);
/// JSON back to Python objects.
py::object JsonTo(const nlohmann::json& value);

}  // namespace cai::python
