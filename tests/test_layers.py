"""The layer contract between zoo's modules (.importlinter) and the absence of import cycles."""

import pathlib
import subprocess
import sys

import grimp

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_import_contract_holds():
    lint = pathlib.Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 kept, 0 broken" in result.stdout


def _cycles(graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), the package root excluded:
    it only re-exports the public API, and every layer may be reached through it."""
    modules = sorted(m for m in graph.modules if m != "zoo")
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) - {"zoo"}) for m in modules}
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles_between_zoo_modules():
    graph = grimp.build_graph("zoo", exclude_type_checking_imports=True)
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    class Graph:  # a two-module cycle the check above must report
        modules = {"zoo", "zoo.a", "zoo.b", "zoo.c"}

        @staticmethod
        def find_modules_directly_imported_by(module):
            return {"zoo.a": {"zoo.b"}, "zoo.b": {"zoo.a", "zoo"}, "zoo.c": {"zoo.a"}}.get(module, set())

    assert _cycles(Graph()) == [["zoo.a", "zoo.b"]]
