"""The patient's interaction graph as an inline SVG: new lines on the left, the record on the right.

Drawn from the report itself (its lines, its conflicts and the record entries they name), so the picture shows
the graph the checker used, not a recomputation. When the caller passes the patient's record at the version the
check saw, the record's other allergies and current medications are drawn too, without edges, so the picture
also shows what was checked and found clean.

The layout is deliberately simple and deterministic (two columns, fixed pitch) so the same report always gives
byte-identical SVG, and it needs no layout engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from itertools import pairwise

from rxsafe.core.enums import AllergyStatus, RecordEntryKind, ResolutionStatus, Severity
from rxsafe.core.models import ConflictReport, PatientRecord
from rxsafe.core.policy import Policy
from rxsafe.core.window import COUNTED_WINDOWS, medication_window
from rxsafe.report import i18n
from rxsafe.report.i18n import Lang
from rxsafe.report.view import ordered_conflicts

# Colours by severity: dark red → orange → amber → blue, distinguishable in greyscale print by stroke width.
SEVERITY_COLOURS: dict[Severity, str] = {
    Severity.CONTRAINDICATED: "#b71c1c",
    Severity.MAJOR: "#e65100",
    Severity.MODERATE: "#c49000",
    Severity.MINOR: "#1565c0",
}
_STROKE: dict[Severity, float] = {
    Severity.CONTRAINDICATED: 4.0,
    Severity.MAJOR: 3.0,
    Severity.MODERATE: 2.2,
    Severity.MINOR: 1.6,
}

WIDTH = 760
NODE_W = 262
NODE_H = 36
PITCH = 46
TOP = 40
MARGIN = 14
LEFT_X = MARGIN
RIGHT_X = WIDTH - MARGIN - NODE_W
MAX_LABEL = 34
Point = tuple[float, float]
FONT = "DejaVu Sans, Noto Sans, Liberation Sans, Arial, sans-serif"


@dataclass(frozen=True)
class Node:
    """One box: ``side`` is "left" (the new prescription) or "right" (the record)."""

    key: str
    side: str
    caption: str
    label: str
    style: str


@dataclass(frozen=True)
class Edge:
    """One conflict between two nodes; ``number`` is the conflict's number in the report."""

    a: str
    b: str
    severity: Severity
    number: int
    interruptive: bool


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    # Conflicts that touch a single node (nothing to join): drawn as a badge beside it.
    marks: tuple[Edge, ...]
    complete: bool


def _line_key(index: int) -> str:
    return f"line:{index}"


def build_graph(report: ConflictReport, patient: PatientRecord | None, lang: Lang) -> Graph:
    """The nodes and edges to draw, in a fixed order."""
    nodes: dict[str, Node] = {}
    for line in report.lines:
        resolved = line.resolution.status is ResolutionStatus.RESOLVED
        nodes[_line_key(line.index)] = Node(
            key=_line_key(line.index),
            side="left",
            caption=f"{i18n.label('line', lang)} {line.index + 1}" + ("" if resolved else " — ?"),
            label=line.line.text,
            style="line" if resolved else "unresolved",
        )
    right: dict[str, Node] = {}
    if report.allergy_status is not AllergyStatus.LISTED:
        # An unknown allergy history is a gap in the graph itself: draw it where the allergies would be.
        right["allergy-status"] = Node(
            key="allergy-status",
            side="right",
            caption=i18n.label("allergy_node", lang),
            label=i18n.allergy_status_label(report.allergy_status, lang),
            style="gap" if report.allergy_status is AllergyStatus.NOT_RECORDED else "none",
        )
    edges: list[Edge] = []
    marks: list[Edge] = []
    for number, conflict in enumerate(ordered_conflicts(report), start=1):
        for entry in conflict.record_entries:
            key = f"entry:{entry.id or entry.text}"
            if key not in right:
                allergy = entry.kind is RecordEntryKind.ALLERGY
                right[key] = Node(
                    key=key,
                    side="right",
                    caption=i18n.label("allergy_node" if allergy else "medication_node", lang),
                    label=entry.text,
                    style="allergy" if allergy else "medication",
                )
        ends = [_line_key(i) for i in conflict.line_indexes if _line_key(i) in nodes]
        entry_keys = [f"entry:{e.id or e.text}" for e in conflict.record_entries]
        pairs: list[tuple[str, str]]
        if ends and entry_keys:
            pairs = [(a, b) for a in ends for b in entry_keys]
        else:
            only = ends or entry_keys
            pairs = list(pairwise(only))
            if len(only) == 1:
                marks.append(Edge(only[0], only[0], conflict.severity, number, conflict.interruptive))
        edges.extend(Edge(a, b, conflict.severity, number, conflict.interruptive) for a, b in pairs)
    complete = patient is not None and patient.record_version == report.record_version
    if patient is not None and complete:
        _add_record_nodes(right, patient, report, lang)
    # Allergies above medications, each in order of first appearance: the eye finds the allergy block first.
    order = {"gap": 0, "none": 0, "allergy": 1, "medication": 2}
    ordered_right = sorted(right.values(), key=lambda n: order.get(n.style, 3))
    return Graph(nodes=(*nodes.values(), *ordered_right), edges=tuple(edges), marks=tuple(marks), complete=complete)


def _add_record_nodes(right: dict[str, Node], patient: PatientRecord, report: ConflictReport, lang: Lang) -> None:
    for allergy in patient.allergies:
        key = f"entry:{allergy.id or allergy.allergen}"
        text = allergy.allergen + (f" ({allergy.reaction})" if allergy.reaction else "")
        right.setdefault(key, Node(key, "right", i18n.label("allergy_node", lang), text, "allergy"))
    # The window rule is the checker's; the lookback is the default policy's, as the report keeps only the
    # policy's name. A medication the checker counted is already present through its conflicts.
    lookback = Policy().lookback_days
    for med in patient.medications:
        status, _ = medication_window(med, report.as_of, lookback)
        if status in COUNTED_WINDOWS:
            key = f"entry:{med.id or med.text}"
            right.setdefault(key, Node(key, "right", i18n.label("medication_node", lang), med.text, "medication"))


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


_NODE_STYLES: dict[str, tuple[str, str, str]] = {
    # style: fill, stroke, dash
    "line": ("#eef3fb", "#34568b", ""),
    "unresolved": ("#f3f3f3", "#777777", "5 3"),
    "allergy": ("#fdeef0", "#a4262c", ""),
    "medication": ("#eef6ee", "#2e6b30", ""),
    "gap": ("#fff6da", "#9a6b00", "5 3"),
    "none": ("#f6f6f6", "#777777", ""),
}


def _positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """Top-left corner of every node: each side stacked from the top at a fixed pitch."""
    result: dict[str, tuple[float, float]] = {}
    counts = {"left": 0, "right": 0}
    for node in graph.nodes:
        x = LEFT_X if node.side == "left" else RIGHT_X
        result[node.key] = (x, TOP + counts[node.side] * PITCH)
        counts[node.side] += 1
    return result


def _edge_path(
    edge: Edge, sides: dict[str, str], pos: dict[str, tuple[float, float]], k: int
) -> tuple[str, Callable[[float], tuple[float, float]]]:
    """The SVG path of one edge, and the point at ``t`` along it; ``k`` separates parallel edges."""
    ax, ay = pos[edge.a]
    bx, by = pos[edge.b]
    ay += NODE_H / 2
    by += NODE_H / 2
    if sides[edge.a] == sides[edge.b]:
        # Both ends in one column: a loop into the gap between the columns.
        left = sides[edge.a] == "left"
        x0 = ax + NODE_W if left else ax
        # Loops between rows further apart reach further out, so nested loops do not lie on one another.
        rows_apart = abs(by - ay) / PITCH
        c = x0 + (26 + 18 * rows_apart + 20 * k) * (1 if left else -1)
        path = f"M{x0:.1f},{ay:.1f} C{c:.1f},{ay:.1f} {c:.1f},{by:.1f} {x0:.1f},{by:.1f}"
        return path, lambda t: _cubic((x0, ay), (c, ay), (c, by), (x0, by), t)
    if sides[edge.a] == "right":
        ax, ay, bx, by = bx, by, ax, ay
    x0, x1 = ax + NODE_W, bx
    # Parallel edges bend alternately up and down, further each time.
    offset = 0.0 if k == 0 else (14.0 * ((k + 1) // 2)) * (1 if k % 2 else -1)
    cx, cy = (x0 + x1) / 2, (ay + by) / 2 + 2 * offset
    path = f"M{x0:.1f},{ay:.1f} Q{cx:.1f},{cy:.1f} {x1:.1f},{by:.1f}"
    return path, lambda t: _quadratic((x0, ay), (cx, cy), (x1, by), t)


def _quadratic(p0: Point, c: Point, p1: Point, t: float) -> Point:
    u = 1 - t
    return (u * u * p0[0] + 2 * u * t * c[0] + t * t * p1[0], u * u * p0[1] + 2 * u * t * c[1] + t * t * p1[1])


def _cubic(p0: Point, c0: Point, c1: Point, p1: Point, t: float) -> Point:
    u = 1 - t
    a, b, c, d = u**3, 3 * u * u * t, 3 * u * t * t, t**3
    return (
        a * p0[0] + b * c0[0] + c * c1[0] + d * p1[0],
        a * p0[1] + b * c0[1] + c * c1[1] + d * p1[1],
    )


# Where along an edge its number may sit, best first: towards the record side, where edges fanning out of one
# line have separated, and crossing edges (which share their midpoints) do not meet.
_BADGE_TS = (0.7, 0.6, 0.8, 0.5, 0.88, 0.4, 0.3)
_BADGE_GAP = 19.0


def _badge_point(at: Callable[[float], Point], taken: list[Point]) -> Point:
    """The first candidate point not covering a badge already placed (else the preferred one)."""
    for t in _BADGE_TS:
        x, y = at(t)
        if all((x - px) ** 2 + (y - py) ** 2 >= _BADGE_GAP**2 for px, py in taken):
            return x, y
    return at(_BADGE_TS[0])


def _badge(x: float, y: float, number: int, colour: str) -> str:
    return (
        f'<g class="badge"><circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="#ffffff" stroke="{colour}" '
        f'stroke-width="2"/><text x="{x:.1f}" y="{y + 3.8:.1f}" text-anchor="middle" font-size="10.5" '
        f'font-weight="bold" fill="{colour}">{number}</text></g>'
    )


def render_svg(graph: Graph, lang: Lang) -> str:
    """The graph as a standalone ``<svg>`` element (no external references), for inlining in HTML."""
    pos = _positions(graph)
    sides = {n.key: n.side for n in graph.nodes}
    rows = max(sum(1 for n in graph.nodes if n.side == "left"), sum(1 for n in graph.nodes if n.side == "right"), 1)
    legend_y = TOP + rows * PITCH + 8
    height = legend_y + 26
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" role="img" '
        f'aria-label="{escape(i18n.label("graph", lang))}">',
        f'<text x="{LEFT_X}" y="22" font-size="12" font-weight="bold" fill="#333">'
        f"{escape(i18n.label('new_lines', lang))}</text>",
        f'<text x="{RIGHT_X}" y="22" font-size="12" font-weight="bold" fill="#333">'
        f"{escape(i18n.label('record_column', lang))}</text>",
    ]
    seen: dict[tuple[str, str], int] = {}
    drawn: list[tuple[Edge, Callable[[float], Point]]] = []
    # Least severe first, so the most severe edges are drawn on top.
    for edge in sorted(graph.edges, key=lambda e: (int(e.severity), -e.number)):
        pair = (min(edge.a, edge.b), max(edge.a, edge.b))
        k = seen.get(pair, 0)
        seen[pair] = k + 1
        path, at = _edge_path(edge, sides, pos, k)
        drawn.append((edge, at))
        out.append(
            f'<path d="{path}" fill="none" stroke="{SEVERITY_COLOURS[edge.severity]}" '
            f'stroke-width="{_STROKE[edge.severity]}" stroke-linecap="round" data-conflict="{edge.number}"/>'
        )
    # The most severe conflicts' numbers get the best places.
    badges: list[str] = []
    taken: list[Point] = []
    for edge, at in reversed(drawn):
        bx, by = _badge_point(at, taken)
        taken.append((bx, by))
        badges.append(_badge(bx, by, edge.number, SEVERITY_COLOURS[edge.severity]))
    for node in graph.nodes:
        x, y = pos[node.key]
        fill, stroke, dash = _NODE_STYLES[node.style]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<g class="node {node.style}"><title>{escape(node.label)}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.4"{dash_attr}/>'
            f'<text x="{x + 9:.1f}" y="{y + 12.5:.1f}" font-size="9" fill="{stroke}">{escape(node.caption)}</text>'
            f'<text x="{x + 9:.1f}" y="{y + 28:.1f}" font-size="12" fill="#111">{escape(_short(node.label))}</text>'
            "</g>"
        )
    for mark in graph.marks:
        x, y = pos[mark.a]
        edge_x = x + NODE_W + 14 if sides[mark.a] == "left" else x - 14
        badges.append(_badge(edge_x, y + NODE_H / 2, mark.number, SEVERITY_COLOURS[mark.severity]))
    out.extend(reversed(badges))
    x = LEFT_X
    for severity in sorted(Severity, reverse=True):
        colour = SEVERITY_COLOURS[severity]
        text = i18n.severity_label(severity, lang)
        out.append(
            f'<line x1="{x}" y1="{legend_y + 9}" x2="{x + 26}" y2="{legend_y + 9}" stroke="{colour}" '
            f'stroke-width="{_STROKE[severity]}"/>'
            f'<text x="{x + 32}" y="{legend_y + 13}" font-size="11" fill="#333">{escape(text)}</text>'
        )
        x += 40 + 8 * len(text) + 24
    out.append("</svg>")
    return "".join(out)


def graph_svg(report: ConflictReport, patient: PatientRecord | None, lang: Lang) -> tuple[str, bool]:
    """The SVG and whether it shows the whole record (False: only the entries named by conflicts)."""
    graph = build_graph(report, patient, lang)
    return render_svg(graph, lang), graph.complete
