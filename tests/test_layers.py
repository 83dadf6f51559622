"""Dependencies run one way: foundation < models < store < importers, checks and the rest <
API, CLI, publishing and serving; and no module imports another that imports it back.

Every module belongs to the first layer whose prefix names it; a module that no layer names
is in ``services`` (importers, exporters, EWP, checks, matching of names, screening ...),
so a new library module needs no entry here. A module may import its own layer and those
below it, never one above. Imports inside functions count: a circle through a lazy import
is still a circle. The graph is grimp's (import-linter's engine), read from the source.
``registry/plugins`` holds Datasette plugins, loaded by Datasette from their folder, not
imported by the package: they are not in the graph.
"""

from __future__ import annotations

import grimp
import pytest

LAYERS: list[tuple[str, tuple[str, ...]]] = [  # lowest first
    ("foundation", ("registry.clock", "registry.collector", "registry.problems", "registry.text", "registry.countries",
                    "registry.schema_types", "registry.matching", "registry.progress", "registry.i18n",
                    "registry.shipped")),
    ("models", ("registry.models",)),
    ("store", ("registry.schema", "registry.views", "registry.db")),
    ("services", ()),  # everything not named elsewhere
    ("interface", ("registry", "registry.api", "registry.cli", "registry.cli_*", "registry.examples",
                   "registry.extensions", "registry.publish", "registry.republish", "registry.serve",
                   "registry.faces", "registry.i18n_sources")),
]
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}

# Circles other branches are taking apart now; delete an entry when its branch is merged.
KNOWN_CIRCLES = [
    {"registry.faces", "registry.serve"},  # branch 'public'
]
KNOWN_PACKAGE_CIRCLES = [
    {"registry.ewp", "registry.exporters", "registry.importers"},  # branch 'ewp'
]


def layer(module: str) -> str:
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if prefix == "registry":
                if module == "registry":
                    return name
            elif prefix.endswith("*"):
                if module.startswith(prefix[:-1]):
                    return name
            elif module == prefix or module.startswith(prefix + "."):
                return name
    return "services"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("registry", "checks", include_external_packages=False)


def edges(graph: grimp.ImportGraph, collapse=lambda module: module) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = collapse(module), collapse(imported)
            if a != b:
                found.setdefault(a, set()).add(b)
    return found


def circles(graph_edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    nodes = set(graph_edges) | {b for targets in graph_edges.values() for b in targets}
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(graph_edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph_edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return groups


def test_every_layer_name_is_a_module(graph):
    for _, prefixes in LAYERS:
        for prefix in prefixes:
            if not prefix.endswith("*"):
                assert prefix in graph.modules, f"layer entry {prefix} names no module"


def test_no_module_imports_a_higher_layer(graph):
    upward = sorted(
        f"{module} ({layer(module)}) imports {imported} ({layer(imported)})"
        for module, targets in edges(graph).items()
        for imported in targets
        if RANK[layer(imported)] > RANK[layer(module)]
    )
    assert upward == []


def test_no_import_circles_between_modules(graph):
    unexpected = [sorted(group) for group in circles(edges(graph)) if not any(group <= known for known in KNOWN_CIRCLES)]
    assert unexpected == []


def test_no_import_circles_between_registry_packages(graph):
    def package(module: str) -> str:
        return ".".join(module.split(".")[:2])

    unexpected = [sorted(group) for group in circles(edges(graph, package))
                  if not any(group <= known for known in KNOWN_PACKAGE_CIRCLES + KNOWN_CIRCLES)]
    assert unexpected == []


def test_the_circle_finder_finds_circles():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert circles({"a": {"b"}, "b": set()}) == []
