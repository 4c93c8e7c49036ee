"""Areas depend downwards only: no import cycle between pingyi's areas.

An area is a direct subpackage of pingyi (`campaigns`, `years`, `demo`, ...) or a top-level module
(`policy.py`, `cli.py`, ...). Every import counts, also those inside functions: a deferred import that
dodges a cycle at import time is still a cycle in the design. `pingyi/__init__.py` is the app factory
above everything and is not an area.
"""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pingyi"


def module_name(path):
    parts = ["pingyi", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules():
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(name, path, known):
    """The pingyi modules `name` imports, each with the line of the import."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pingyi.x import y` imports the module pingyi.x.y when there is one, else a name of pingyi.x
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import pingyi.x.y` of a name: its module
                target = target.rpartition(".")[0]
            if target.startswith("pingyi"):
                yield target, node.lineno


def area(name):
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def area_graph():
    """{area: {area it imports: [(module, line, imported module), ...]}} without the factory."""
    known = modules()
    graph = {}
    for name, path in known.items():
        source = area(name)
        if source is None:
            continue
        graph.setdefault(source, {})
        for target, line in imported_modules(name, path, known):
            if area(target) not in (None, source):
                graph[source].setdefault(area(target), []).append((name, line, target))
    return graph


def cycles(graph):
    """(one cycle: a list of areas, first repeated last; every area of its knot) per strongly connected group."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):  # Tarjan; the graph has a few dozen nodes, recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    found = []
    for group in groups:
        start = min(group)
        # the shortest way back to start inside the group, breadth first
        paths, seen = [[start]], {start}
        while paths:
            path = paths.pop(0)
            step = next((n for n in sorted(graph[path[-1]]) if n == start), None)
            if step:
                found.append((path + [start], sorted(group)))
                break
            for nxt in sorted(graph[path[-1]]):
                if nxt in group and nxt not in seen:
                    seen.add(nxt)
                    paths.append(path + [nxt])
    return found


def describe(graph, cycle, knot):
    lines = [" → ".join(cycle) + f"   (areas tied together: {', '.join(knot)})"]
    for source, target in zip(cycle, cycle[1:]):
        module, line, imported = graph[source][target][0]
        lines.append(f"  {module}:{line} imports {imported}")
    return "\n".join(lines)


def test_the_graph_sees_module_level_and_deferred_imports():
    graph = area_graph()
    # units.models reads campaigns.categories (inside a property on main, at the top since)
    assert ("pingyi.units.models", "pingyi.campaigns.categories") in {(m, t) for m, _, t in graph["units"]["campaigns"]}
    assert "images" in graph["files"]  # imported inside files.services.store_file
    assert "demo" in graph["cli"]  # `from pingyi import demo` is the package pingyi.demo
    assert "campaigns" not in graph["campaigns"]  # an area's own modules are not edges


def test_the_cycle_finder_finds_a_cycle_and_names_its_imports():
    graph = {"a": {"b": [("pingyi.a.services", 3, "pingyi.b.services")]},
             "b": {"c": [("pingyi.b.services", 5, "pingyi.c.models")]},
             "c": {"a": [("pingyi.c.models", 9, "pingyi.a.models")]}, "d": {"a": []}}
    assert cycles(graph) == [(["a", "b", "c", "a"], ["a", "b", "c"])]
    assert "pingyi.c.models:9 imports pingyi.a.models" in describe(graph, *cycles(graph)[0])
    assert cycles({"a": {"b": []}, "b": {}}) == []


def test_no_import_cycle_between_areas():
    graph = area_graph()
    found = [describe(graph, cycle, knot) for cycle, knot in cycles(graph)]
    assert not found, "import cycles between areas:\n" + "\n".join(found)


def module_graph():
    """{module: {pingyi module it imports: [(module, line, imported module)]}}, the factory included."""
    known = modules()
    graph = {name: {} for name in known}
    for name, path in known.items():
        for target, line in imported_modules(name, path, known):
            if target != name:
                graph[name].setdefault(target, []).append((name, line, target))
    return graph


def test_no_import_cycle_between_modules():
    """Inside an area too, and through the factory: a module that needs something of one that needs it back
    shares it from a module below both."""
    graph = module_graph()
    found = [describe(graph, cycle, knot) for cycle, knot in cycles(graph)]
    assert not found, "import cycles between modules:\n" + "\n".join(found)


def test_policy_asks_no_service():
    known = modules()
    services = [target for target, _ in imported_modules("pingyi.policy", known["pingyi.policy"], known)
                if target.rpartition(".")[2] == "services"]
    assert services == []
