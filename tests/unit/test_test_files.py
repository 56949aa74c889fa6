"""Every file that defines tests is named so that pytest collects it."""

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
