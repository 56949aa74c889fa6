"""The suite's files: every file with tests is collected, and helpers come from tests.support."""

import ast
from fnmatch import fnmatch

import pytest


def defines_tests(source: str) -> bool:
    """Whether a module has test functions pytest would run if it collected the file."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            return True
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            return True
    return False


def imported_test_modules(source: str) -> set[str]:
    """The conftest and test modules a module imports (helpers belong in tests.support)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            modules = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for module in modules:
            last = module.rpartition(".")[2]
            if module.startswith(("tests.", ".")) and (
                last == "conftest" or last.startswith("test_")
            ):
                found.add(module)
    return found


def test_test_files_follow_one_naming_pattern(pytestconfig: pytest.Config):
    assert pytestconfig.getini("python_files") == ["test_*.py"]


def test_every_file_with_tests_is_collected_by_its_name(pytestconfig: pytest.Config):
    patterns = pytestconfig.getini("python_files")
    tests = pytestconfig.rootpath / "tests"
    missed = [
        str(path.relative_to(tests))
        for path in sorted(tests.rglob("*.py"))
        if not any(fnmatch(path.name, pattern) for pattern in patterns)
        and defines_tests(path.read_text(encoding="utf-8"))
    ]
    assert missed == []


def test_a_stray_test_file_name_would_be_found():
    assert defines_tests("def test_rounds_to_ore():\n    assert True\n")
    assert defines_tests("class TestAllocation:\n    def test_x(self): ...\n")
    assert not defines_tests("def make_ticket():\n    return 1\n")


def test_no_module_under_tests_imports_a_conftest_or_a_test_module(pytestconfig: pytest.Config):
    tests = pytestconfig.rootpath / "tests"
    imports = {
        str(path.relative_to(tests)): imported_test_modules(path.read_text(encoding="utf-8"))
        for path in sorted(tests.rglob("*.py"))
    }
    assert {name: found for name, found in imports.items() if found} == {}


def test_a_conftest_or_test_module_import_would_be_found():
    assert imported_test_modules("from tests.integration.portal.conftest import csrf\n")
    assert imported_test_modules("from tests.integration.catalog.test_books import owned\n")
    assert imported_test_modules("from tests.faults import conftest\n")
    assert imported_test_modules("from . import conftest\n")
    assert not imported_test_modules("from tests.support.portal import csrf\n")
