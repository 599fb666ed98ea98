"""The decomposition of a unit's quality coefficient as a plotly waterfall.

K starts at 1.0, moves by the satisfaction term, drops by each penalty
(points / 100) and is clamped to the scheme's limits (docs/COEFFICIENT.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

from dashboards.i18n import number, signed
from noac.services.coefficients import UnitResult, round4

STEPS = ("start", "satisfaction", "defect", "overdue", "escape", "clamp", "coefficient")


def unclamped(result: UnitResult) -> float:
    """K before clamping, as the computation stored it."""
    return float(result.decomposition.get("unclamped", result.coefficient))


def is_clamped(result: UnitResult) -> bool:
    """Whether the clamp to [k_min, k_max] changed K (beyond its rounding to 4 decimals)."""
    return abs(result.coefficient - round4(unclamped(result))) > 1e-9


def waterfall_steps(result: UnitResult) -> list[tuple[str, str, float]]:
    """``(step, measure, value)`` from 1.0 to K; a ``clamp`` step only when clamping acted.

    >>> r = UnitResult("HEAT", "", 79.0, 7, 85.0, -0.06, 25.0, 0.0, 0.0, 25.0, 0.7,
    ...                decomposition={"unclamped": 0.69})
    >>> [(s, m, round(v, 4)) for s, m, v in waterfall_steps(r)]  # doctest: +NORMALIZE_WHITESPACE
    [('start', 'absolute', 1.0), ('satisfaction', 'relative', -0.06),
     ('defect', 'relative', -0.25), ('overdue', 'relative', 0.0),
     ('escape', 'relative', 0.0), ('clamp', 'relative', 0.01),
     ('coefficient', 'total', 0.7)]
    """
    steps = [
        ("start", "absolute", 1.0),
        ("satisfaction", "relative", result.satisfaction_term),
        ("defect", "relative", 0.0 - result.defect_points / 100),
        ("overdue", "relative", 0.0 - result.overdue_points / 100),
        ("escape", "relative", 0.0 - result.escape_points / 100),
    ]
    if is_clamped(result):
        steps.append(("clamp", "relative", result.coefficient - unclamped(result)))
    steps.append(("coefficient", "total", result.coefficient))
    return steps


def waterfall_figure(result: UnitResult, labels: Mapping[str, str], lang: str) -> go.Figure:
    """Draw ``waterfall_steps``; ``labels`` names each step (keys of ``STEPS``) for the axis;
    each value written to 4 decimals as K is (``i18n.number``), a step with its sign."""
    steps = waterfall_steps(result)
    running, levels = 0.0, []
    for _, measure, value in steps:
        running = value if measure == "absolute" else running + value
        if measure == "total":
            running = value
        levels.append(running)
    texts = [
        signed(value, lang, 4) if measure == "relative" else number(value, lang, 4)
        for _, measure, value in steps
    ]
    figure = go.Figure(
        go.Waterfall(
            x=[labels.get(step, step) for step, _, _ in steps],
            measure=[measure for _, measure, _ in steps],
            y=[value for _, _, value in steps],
            text=texts,
            textposition="outside",
            connector={"line": {"color": "#8aa1b8", "dash": "dot"}},
            increasing={"marker": {"color": "#3c8d5a"}},
            decreasing={"marker": {"color": "#c0504d"}},
            totals={"marker": {"color": "#2f6f9f"}},
            hoverinfo="x+text",
        )
    )
    low, high = min([*levels, 1.0]), max([*levels, 1.0])
    margin = max(0.05, (high - low) * 0.25)
    figure.add_hline(y=1.0, line={"color": "#999999", "width": 1, "dash": "dash"})
    figure.update_layout(
        yaxis={"range": [low - margin, high + margin], "title": "K"},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        height=380,
        showlegend=False,
        plot_bgcolor="white",
    )
    return figure
