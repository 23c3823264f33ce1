#!/usr/bin/env python3
"""Check the module layering of src/ (Engine v2): calls and imports go down
the table below, never up, and there is no import cycle between modules.

Each source file belongs to a unit: its top-level module under src/
(src/connection/incoming.rs -> connection). The units are ordered in
layers, top first. A reference from a unit to another unit in a higher
layer is an error; references within a layer are allowed, but the graph of
all unit references must have no cycle. Test code (everything from a
file's first `#[cfg(test)]` on) and the crate root (src/lib.rs, which only
declares and re-exports) are not checked.

    scripts/check-layers.py            -> "layers: ok (N units, M edges)" or the violations
    scripts/check-layers.py --graph    -> also print every unit's dependencies
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

# Top first. A unit may use units in its own layer (without cycles) and below.
LAYERS = [
    ["ffi"],  # the C boundary: nothing imports it
    ["endpoint"],  # many peers: slots, cookies, demultiplexing
    ["connection"],  # one peer's public API and record pipeline; dispatches to the roles
    ["client", "server"],  # the handshake state machines
    ["association"],  # one association's state and transitions the roles and the pipeline share
    # the protocol parts the roles and the association use
    ["handshake", "keyex", "auth", "flight", "cookie", "session", "session_ticket", "credentials", "env"],
    ["record", "keys", "keylog"],  # record layer, key schedule, the NSS key log line
    ["crypto", "codec", "log", "alert", "config", "error", "suite", "sizes"],  # base
]

LEVEL = {u: i for i, layer in enumerate(LAYERS) for u in layer}
REF = re.compile(r"\bcrate::(\w+)|\buse\s+crate::\{([^}]*)\}")


def unit_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".rs")


def code_of(text: str) -> str:
    cut = re.search(r"^\s*#\[cfg\((all\()?test", text, re.M)
    text = text[: cut.start()] if cut else text
    # drop comments (doc comments mention other modules freely)
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def main() -> int:
    edges: dict[str, set[str]] = {}
    where: dict[tuple[str, str], str] = {}
    problems = []
    for path in sorted(SRC.rglob("*.rs")):
        if path == SRC / "lib.rs":
            continue
        unit = unit_of(path)
        if unit not in LEVEL:
            problems.append(f"{path.relative_to(ROOT)}: unit '{unit}' is not in the layer table")
            continue
        for m in REF.finditer(code_of(path.read_text())):
            targets = [m.group(1)] if m.group(1) else [t.strip().split("::")[0] for t in m.group(2).split(",")]
            for t in targets:
                t = t.strip()
                if not t or t == "self" or t == unit:
                    continue
                if t not in LEVEL:
                    continue  # a crate-root item (re-export), e.g. crate::Error
                edges.setdefault(unit, set()).add(t)
                where.setdefault((unit, t), str(path.relative_to(ROOT)))
    for u, ts in sorted(edges.items()):
        for t in sorted(ts):
            if LEVEL[t] < LEVEL[u]:
                problems.append(f"{where[(u, t)]}: '{u}' (layer {LEVEL[u]}) uses '{t}' (layer {LEVEL[t]}): calls go down")
    # cycles (Tarjan)
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    for v in sorted(set(edges) | {t for ts in edges.values() for t in ts}):
        if v not in index:
            visit(v)
    for comp in sccs:
        problems.append(f"import cycle between {', '.join(comp)}")
    if "--graph" in sys.argv:
        for u in sorted(edges, key=lambda x: (LEVEL[x], x)):
            print(f"{u:12} -> {', '.join(sorted(edges[u], key=lambda x: (LEVEL[x], x)))}")
    n_edges = sum(len(ts) for ts in edges.values())
    if problems:
        print("\n".join(problems))
        print(f"layers: {len(problems)} problem(s)")
        return 1
    print(f"layers: ok ({len(LEVEL)} units in {len(LAYERS)} layers, {n_edges} edges, no cycle)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
