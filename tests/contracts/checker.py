"""The architecture's rules as checks on the source (docs/architecture.md): each takes the package folder
and returns its violations as lines naming the file, the line and the rule, so a failing build says what
to move. Static (ast): nothing is imported or run.

Module-level imports only make the dependency graph (an import inside a function or under TYPE_CHECKING
is how a handler-like edge reaches a flow without a cycle at import time; the world rule counts them all)."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Kernel packages and modules every domain may use: they import no domain.
KERNEL = (
    "api",
    "web",
    "errors",
    "config",
    "database",
    "identity.principal",
    "identity.acting",
    "commands",
    "reference",
    "recurring",
    "logs",
    "domains",
)
# The thin edges of a domain: HTTP handlers, pages, CLI commands, scheduled jobs, feed declarations.
EDGE_MODULES = ("api", "pages", "cli", "jobs", "feeds")
HANDLERS = ("api", "pages", "cli")
# Only the synthetic world itself, the demo that drives it and evaluation code may import it.
WORLD_USERS = ("world", "demo")
SESSION_NAMES = ("session", "s", "db")
SQL_METHODS = ("execute", "scalar", "scalars", "get", "add", "add_all", "query", "delete", "merge")
SQL_BUILDERS = ("select", "insert", "update", "delete")
MAX_LINES = 500


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. mainport.custody.service
    path: Path
    tree: ast.Module

    @property
    def domain(self) -> str:
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 else ""

    @property
    def leaf(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def is_edge(self) -> bool:
        return self.leaf in EDGE_MODULES or self.leaf.endswith(tuple(f"_{e}" for e in EDGE_MODULES))

    @property
    def is_handler(self) -> bool:
        return self.leaf in HANDLERS or self.leaf.endswith(tuple(f"_{h}" for h in HANDLERS))


def modules(package: Path) -> list[Module]:
    """Every module of the package but its migrations (generated)."""
    out = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append(Module(".".join(parts), path, ast.parse(path.read_text(), filename=str(path))))
    return out


def _resolve(mod: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.name.split(".")
    if mod.path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imported(mod: Module, node: ast.Import | ast.ImportFrom, known: set[str]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (a.name for a in node.names)
        return
    target = _resolve(mod, node)
    for alias in node.names:  # `from mainport import flows` imports the module mainport.flows
        full = f"{target}.{alias.name}"
        yield full if full in known else target


def _top_level_imports(mod: Module, known: set[str]) -> Iterator[tuple[str, int]]:
    def walk(body: list[ast.stmt]) -> Iterator[tuple[str, int]]:
        for node in body:
            if isinstance(node, ast.If):
                if "TYPE_CHECKING" in ast.unparse(node.test):
                    continue
                yield from walk(node.body)
                yield from walk(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                    yield from walk(block)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                yield from ((name, node.lineno) for name in _imported(mod, node, known))

    yield from walk(mod.tree.body)


def _all_imports(mod: Module, known: set[str]) -> Iterator[tuple[str, int]]:
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield from ((name, node.lineno) for name in _imported(mod, node, known))


def _where(mod: Module, line: int) -> str:
    return f"{mod.name.replace('.', '/')}.py:{line}"


def _is_kernel(root: str, name: str) -> bool:
    rest = name[len(root) + 1 :] if name.startswith(root + ".") else ""
    return any(rest == k or rest.startswith(k + ".") for k in KERNEL)


# -- the contracts ------------------------------------------------------------------------------------------


def world_imports(mods: list[Module]) -> list[str]:
    """No product module imports the synthetic world (it knows the truth)."""
    known = {m.name for m in mods}
    root = mods[0].name.split(".")[0] if mods else ""
    out = []
    for mod in mods:
        if mod.domain in WORLD_USERS:
            continue
        for name, line in _all_imports(mod, known):
            if name == f"{root}.world" or name.startswith(f"{root}.world."):
                out.append(f"{_where(mod, line)}: imports {name} (only the world, the demo and evaluation)")
    return out


def _node(mod_name: str, edge: bool) -> str:
    parts = mod_name.split(".")
    base = ".".join(parts[:2])
    return f"{base}:edge" if edge and len(parts) > 2 else base


def package_cycles(mods: list[Module]) -> list[str]:
    """No cycles between packages (a domain's core; its edges, the modules that serve HTTP, render pages,
    run commands or jobs or declare feeds, count apart: they sit on top of it)."""
    known = {m.name for m in mods}
    by_name = {m.name: m for m in mods}
    root = mods[0].name.split(".")[0] if mods else ""
    graph: dict[str, set[str]] = defaultdict(set)
    why: dict[tuple[str, str], str] = {}
    imports = {m.name: list(_top_level_imports(m, known)) for m in mods}
    # An edge by name (api, pages, cli, jobs, feeds) or by what it does: it serves HTTP or renders pages.
    serves = (f"{root}.web", f"{root}.api.deps")
    edge = {
        m.name: m.is_edge or any(n == s or n.startswith(s + ".") for n, _ in imports[m.name] for s in serves)
        for m in mods
    }
    for mod in mods:
        a = _node(mod.name, edge[mod.name] and mod.domain not in ("web", "api"))
        for name, line in imports[mod.name]:
            if not name.startswith(root + "."):
                continue
            target = by_name.get(name)
            b = _node(name, edge[target.name] and target.domain not in ("web", "api") if target else False)
            if a != b:
                graph[a].add(b)
                why.setdefault((a, b), f"{_where(mod, line)} imports {name}")
    out = []
    for component in _strongly_connected(graph):
        members = sorted(component)
        links = [why[(a, b)] for a in members for b in sorted(graph[a]) if b in component]
        out.append(f"cycle between {', '.join(members)}: " + "; ".join(links))
    return out


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:  # Tarjan; the graph has a few dozen nodes
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def handler_rules(mods: list[Module]) -> list[str]:
    """Handlers (api, pages, cli) import their own domain, the flows and the kernel only, and run no SQL."""
    known = {m.name for m in mods}
    root = mods[0].name.split(".")[0] if mods else ""
    out = []
    for mod in mods:
        if not mod.is_handler or mod.domain in ("api", "web", "") or mod.name.count(".") < 2:
            continue
        own = f"{root}.{mod.domain}"
        for name, line in _all_imports(mod, known):
            if not name.startswith(root + ".") or name == own or name.startswith(own + "."):
                continue
            if name == f"{root}.flows" or _is_kernel(root, name):
                continue
            out.append(f"{_where(mod, line)}: a handler imports {name} (call your service or a flow)")
        for node in ast.walk(mod.tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr in SQL_METHODS and isinstance(f.value, ast.Name):
                if f.value.id in SESSION_NAMES:
                    out.append(f"{_where(mod, node.lineno)}: a handler queries ({f.value.id}.{f.attr})")
            elif isinstance(f, ast.Name) and f.id in SQL_BUILDERS:
                out.append(f"{_where(mod, node.lineno)}: a handler builds SQL ({f.id}())")
    return out


def _model_owners(mods: list[Module]) -> dict[str, str]:
    owners = {}
    for mod in mods:
        if mod.leaf == "models":
            for node in mod.tree.body:
                if isinstance(node, ast.ClassDef):
                    owners[node.name] = mod.domain
    return owners


def foreign_writes(mods: list[Module]) -> list[str]:
    """No domain writes another domain's tables: no constructing its models, no insert/update/delete on
    them (the world writes files and the demo drives services; neither is counted)."""
    root = mods[0].name.split(".")[0] if mods else ""
    owners = _model_owners(mods)
    out = []
    for mod in mods:
        if mod.domain in WORLD_USERS or mod.name.count(".") < 2:
            continue
        imported: dict[str, str] = {}  # local name -> owning domain
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(f"{root}."):
                parts = _resolve(mod, node).split(".")
                if len(parts) == 3 and parts[2] == "models":
                    for a in node.names:
                        if owners.get(a.name) == parts[1]:
                            imported[a.asname or a.name] = parts[1]
        for node in ast.walk(mod.tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            targets: list[str] = []
            if isinstance(f, ast.Name) and f.id in imported:
                targets = [f.id]
            elif name in ("insert", "update", "delete") or name.endswith("_insert"):
                for arg in node.args:
                    base = arg.value if isinstance(arg, ast.Attribute) else arg  # Model or Model.__table__
                    if isinstance(base, ast.Name) and base.id in imported:
                        targets.append(base.id)
            for t in targets:
                if imported[t] != mod.domain:
                    out.append(
                        f"{_where(mod, node.lineno)}: {mod.domain} writes {imported[t]}'s table ({t}); "
                        f"call a {imported[t]} service"
                    )
    return out


def service_signatures(mods: list[Module]) -> list[str]:
    """Public service functions take `session` and the acting principal as keyword-only arguments; an
    unchecked loader (session first, no principal) is private or lives in `<domain>/queries.py`."""
    out = []
    for mod in mods:
        if mod.leaf != "service" and not mod.leaf.endswith("_service"):
            continue
        for node in mod.tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            positional = [a.arg for a in node.args.posonlyargs + node.args.args]
            keyword = [a.arg for a in node.args.kwonlyargs]
            for name in ("session", "actor", "principal"):
                if name in positional:
                    out.append(
                        f"{_where(mod, node.lineno)}: {node.name}() takes {name} positionally "
                        f"(make it keyword-only, or the loader private / in queries.py)"
                    )
            if "session" in keyword and not {"actor", "principal"} & set(keyword):
                out.append(
                    f"{_where(mod, node.lineno)}: {node.name}() takes a session but no actor "
                    f"(who is asking? or make it private / move it to queries.py)"
                )
    return out


def service_commits(mods: list[Module]) -> list[str]:
    """The caller owns the transaction: domain code flushes, never commits (the request, the CLI command,
    the job do)."""
    out = []
    for mod in mods:
        if mod.domain in ("database", "api", "web") or mod.is_edge or mod.name.count(".") < 2:
            continue
        for node in ast.walk(mod.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
                and not node.args
            ):
                out.append(f"{_where(mod, node.lineno)}: commits (the caller owns the transaction)")
    return out


def module_sizes(mods: list[Module]) -> list[str]:
    out = []
    for mod in mods:
        n = len(mod.path.read_text().splitlines())
        if n > MAX_LINES:
            out.append(f"{_where(mod, n)}: {n} lines (split it along its seams: at most {MAX_LINES})")
    return out


CONTRACTS = {
    "world": world_imports,
    "cycles": package_cycles,
    "handlers": handler_rules,
    "writes": foreign_writes,
    "signatures": service_signatures,
    "commits": service_commits,
    "size": module_sizes,
}


@dataclass(frozen=True)
class Exception_:
    """A documented exception: a contract, the file, a fragment of the violation's text and why."""

    contract: str
    path: str  # e.g. mainport/custody/gate.py
    fragment: str
    why: str

    def covers(self, contract: str, violation: str) -> bool:
        here = violation.startswith(self.path + ":")
        return contract == self.contract and here and self.fragment in violation


def check(package: Path, exceptions: tuple[Exception_, ...] = ()) -> dict[str, list[str]]:
    """Violations per contract, less the documented exceptions."""
    mods = modules(package)
    out = {}
    for name, contract in CONTRACTS.items():
        out[name] = [v for v in contract(mods) if not any(e.covers(name, v) for e in exceptions)]
    return out
