"""The shipped type stubs name everything the extension module has (regenerate them with
scripts/gen-python-stubs.sh after changing the bindings)."""

import ast
import inspect
import pathlib

import cai
import cai._core

PACKAGE = pathlib.Path(cai.__file__).parent


def stub_names(path):
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def stub_file(module_name):
    parts = module_name.split(".")[1:]  # drop "cai"
    single = PACKAGE.joinpath(*parts).with_suffix(".pyi")
    package = PACKAGE.joinpath(*parts, "__init__.pyi")
    return package if package.exists() else single


def public(module):
    return {n for n in dir(module) if not n.startswith("_") and not inspect.ismodule(getattr(module, n))}


def test_core_stubs_cover_the_module():
    path = stub_file("cai._core")
    assert path.exists(), f"{path} is missing: run scripts/gen-python-stubs.sh"
    missing = public(cai._core) - stub_names(path)
    assert not missing, f"not in {path.name}: {sorted(missing)}; run scripts/gen-python-stubs.sh"
    for name in dir(cai._core):
        sub = getattr(cai._core, name)
        if inspect.ismodule(sub) and sub.__name__.startswith("cai._core."):
            sub_path = stub_file(sub.__name__)
            assert sub_path.exists(), f"{sub_path} is missing"
            assert not public(sub) - stub_names(sub_path), sub.__name__


def test_py_typed_marker_is_installed():
    assert (PACKAGE / "py.typed").exists()


def test_public_functions_have_docstrings():
    undocumented = [n for n in public(cai._core) if not (getattr(cai._core, n).__doc__ or "").strip()]
    assert not undocumented, undocumented
