"""Pictures of failed checks, as HTML: wherever HTML can be shown (a notebook's check cell,
nbgrader's feedback, ``kata check --html``), a failing check shows its judge's figures beside its
message; a terminal shows the message alone.

The judges describe figures as plain data (``grader.checks.base.Mismatch.figures``, kept in
``CheckResult.figures``); this module draws them:

- ``maps`` — a 2-D slice of the expected tensor and the learner's, and their difference, as heatmaps
  (a shared colour scale for the two, a diverging one centred on zero for the difference), the first
  mismatch outlined in red on all three; when the shapes differ, the two maps with their shapes;
- ``edges`` — an image and its edge maps (expected, yours) under a kernel;
- ``curves`` — training curves, the learner's over the reference's;
- ``blocks`` — a network's block-by-block table, the first block that differs highlighted (an HTML table).

matplotlib draws on its own ``Figure`` with an Agg canvas — never pyplot — so that a Jupyter kernel
keeps its backend, and nothing is written to stderr; it is imported only when a picture is drawn
(the command line imports this package and must start fast). The HTML is self-contained: inline
CSS, PNGs as base64 ``data:`` URIs.
"""
from __future__ import annotations

import base64
import html
import io
import logging
import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from grader.core.i18n import LANGUAGE_TAGS, N_, _, language, speaking
from grader.core.scoring import Status, kind_label, status_label
from grader.core.text import clip

if TYPE_CHECKING:
    from grader.checks.runner import CheckResult, KataResult

#: Resolution of the PNGs, and the width of one panel in inches.
DPI = 90
PANEL_WIDTH = 3.1
#: Maps of at most this many cells show their values in the cells.
ANNOTATED_CELLS = 36
#: What a caption keeps of a figure's description (it may quote the learner's data).
MAX_CAPTION_BYTES = 400

FONT = "font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 14px;"
MONO = "font-family: SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace; font-size: 12px;"
COLOUR = {Status.PASSED: "#1a7f37", Status.FAILED: "#cf222e", Status.PENDING: "#9a6700", Status.SKIPPED: "#6e7781"}
MARK = {Status.PASSED: "✓", Status.FAILED: "✗", Status.PENDING: "…", Status.SKIPPED: "-"}
#: A pending or skipped check's line: why (``_()`` where shown).
CHECK_STATUS = {Status.PENDING: N_("pending: {message}"), Status.SKIPPED: N_("skipped: {message}")}
#: Fonts with Chinese glyphs, as Linux, Windows and macOS name them (matplotlib's own DejaVu Sans has none).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC",
             "STHeiti", "Arial Unicode MS", "Droid Sans Fallback")
#: Curves and lines: the reference's in grey, the learner's in red, thresholds in green.
LINE_COLOUR = {"expected": "#57606a", "yours": "#cf222e", "limit": "#1a7f37"}


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


# ---------------------------------------------------------------- matplotlib, quietly


@contextmanager
def _quiet() -> Iterator[None]:
    """No warning and no log record of matplotlib's reaches stderr (its first import may announce
    that it builds its font cache)."""
    logger = logging.getLogger("matplotlib")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


@cache
def _cjk_fonts() -> tuple[str, ...]:
    """The fonts of CJK_FONTS that matplotlib finds here."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return tuple(name for name in CJK_FONTS if name in installed)


@contextmanager
def figure_language() -> Iterator[None]:
    """Figures drawn in the block speak the language convkata speaks: in Chinese with a font that has
    its glyphs (CJK_FONTS) behind the usual ones (matplotlib falls back glyph by glyph); with no such font
    here, their own words (titles, legends) in English rather than as empty boxes."""
    if language() != "zh":
        yield
        return
    fonts = _cjk_fonts()
    if not fonts:
        with speaking("en"):
            yield
        return
    import matplotlib

    with matplotlib.rc_context({"font.family": [*matplotlib.rcParams["font.family"], *fonts]}):
        yield


@contextmanager
def _drawing() -> Iterator[None]:
    """Where a picture is drawn: quietly (``_quiet``), in the language convkata speaks (``figure_language``)."""
    with _quiet(), figure_language():
        yield


def _figure(panels: float, height: float, *, left: float = 0.4, bottom: float = 0.35, top: float = 0.35,
            wspace: float = 0.35):
    """A matplotlib Figure ``panels`` panels wide on an Agg canvas of its own (not pyplot's), with
    margins in inches (a layout engine would draw it twice: fixed margins are faster)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width = PANEL_WIDTH * panels
    figure = Figure(figsize=(width, height), dpi=DPI)
    figure.subplots_adjust(left=left / width, right=1 - 0.1 / width, bottom=bottom / height, top=1 - top / height,
                           wspace=wspace)
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _matrix(value: Any):
    """A 2-D numpy array of floats from a tensor or nested lists (a 0-D or 1-D one as one row)."""
    import numpy as np

    if hasattr(value, "tolist"):
        value = value.tolist()
    array = np.asarray(value, dtype=float)
    return array.reshape(1, -1) if array.ndim < 2 else array.reshape(array.shape[0], -1)


def _finite_range(*arrays) -> tuple[float, float]:
    import numpy as np

    values = np.concatenate([a[np.isfinite(a)].ravel() for a in arrays]) if arrays else np.array([])
    if values.size == 0:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    if low == high:
        return low - 0.5, high + 0.5
    return low, high


def _symmetric_limit(*arrays) -> float:
    low, high = _finite_range(*arrays)
    limit = max(abs(low), abs(high))
    return limit if limit > 0 else 1.0


def _shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _panel_height(rows: int, columns: int) -> float:
    """A figure's height for maps of ``rows`` × ``columns``: square cells within reason."""
    ratio = min(max(rows / max(columns, 1), 0.25), 1.6)
    return 0.8 + (PANEL_WIDTH - 1.2) * ratio


def _heatmap(figure, axes, array, *, title: str, offset: Sequence[int], cmap: str, vmin: float, vmax: float,
             annotate: bool) -> None:
    """``array`` drawn in ``axes`` with its colour bar, its ticks the slice's row and column numbers;
    with ``annotate``, its values written in the cells."""
    from matplotlib.ticker import MaxNLocator

    rows, columns = array.shape
    top, left = offset
    axes.set_title(title, fontsize=10)
    if array.size == 0:
        # Translators: drawn in place of a heatmap whose tensor has no element
        axes.text(0.5, 0.5, _("empty"), ha="center", va="center", transform=axes.transAxes, color="#6e7781")
        axes.set_xticks([])
        axes.set_yticks([])
        return
    aspect = "equal" if 0.25 <= rows / columns <= 4 else "auto"
    image = axes.imshow(array, cmap=cmap, vmin=vmin, vmax=vmax, aspect=aspect, interpolation="nearest",
                        extent=(left - 0.5, left + columns - 0.5, top + rows - 0.5, top - 0.5))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    axes.tick_params(labelsize=8)
    figure.colorbar(image, ax=axes, shrink=0.85).ax.tick_params(labelsize=7)
    if annotate:
        for i in range(rows):
            for j in range(columns):
                value = float(array[i, j])
                axes.text(left + j, top + i, "nan" if math.isnan(value) else f"{value:.3g}", ha="center",
                          va="center", fontsize=7, color=_text_colour(cmap, value, vmin, vmax))


def _text_colour(cmap: str, value: float, vmin: float, vmax: float) -> str:
    """White on the dark cells of a colour map, black on the light ones."""
    if not math.isfinite(value):
        return "black"
    position = (value - vmin) / (vmax - vmin) if vmax > vmin else 0.5
    if cmap == "RdBu_r":  # dark at both ends
        return "white" if abs(position - 0.5) > 0.3 else "black"
    return "white" if position < 0.55 else "black"  # viridis and gray are dark at the low end


def _outline(axes, row: int, column: int, *, height: int = 1, width: int = 1) -> None:
    """A red rectangle around cells (in the slice's coordinates)."""
    from matplotlib.patches import Rectangle

    axes.add_patch(Rectangle((column - 0.5, row - 0.5), width, height, fill=False, edgecolor="red", linewidth=2.2, clip_on=False))


def _where(figure: dict) -> str:
    """Where the maps are in the tensor: the slice, the crop, the first mismatch's index."""
    parts = []
    index = list(figure.get("index") or [])
    expected = _matrix(figure["expected"])
    top, left = figure.get("offset") or (0, 0)
    shape = figure.get("expected_shape") or list(expected.shape)
    if index:
        # Translators: which 2-D slice of a tensor the maps show: {index} such as "0, 2", {shape} such as "(1, 3, 6, 8)"
        parts.append(_("slice [{index}, :, :] of {shape}").format(index=", ".join(str(i) for i in index),
                                                                 shape=_shape_text(shape)))
    rows, columns = expected.shape
    if len(shape) >= 2 and (rows < shape[-2] or columns < shape[-1]):
        # Translators: the part of a large map that is drawn, e.g. "rows 0–15 and columns 4–19 of 32 × 32"
        parts.append(_("rows {top}–{bottom} and columns {left}–{right} of {height} × {width}").format(
            top=top, bottom=top + rows - 1, left=left, right=left + columns - 1, height=shape[-2], width=shape[-1]))
    first = figure.get("first")
    if first is not None:
        full = [*index, top + first[0], left + first[1]]
        parts.append(_("first mismatch at index ({index}), outlined in red").format(
            index=", ".join(str(i) for i in full)))
    return "; ".join(parts)


def _maps_png(figure: dict) -> str:
    expected, yours = _matrix(figure["expected"]), _matrix(figure["yours"])
    offset = figure.get("offset") or (0, 0)
    same = figure.get("same_shape", expected.shape == yours.shape) and expected.shape == yours.shape
    low, high = _finite_range(expected, yours)
    rows = max(expected.shape[0], yours.shape[0])
    columns = max(expected.shape[1], yours.shape[1], 1)
    canvas = _figure(3 if same else 2, _panel_height(rows, columns))
    axes = canvas.subplots(1, 3 if same else 2, squeeze=False)[0]
    annotate = max(expected.size, yours.size) <= ANNOTATED_CELLS  # values in the cells of all panels, or none
    if same:
        titles = (_("expected"), _("yours"))
    else:
        # Translators: a heatmap's title: the expected tensor (the reference's) and its shape, such as "(4, 6)"
        titles = (_("expected {shape}").format(shape=_shape_text(figure.get('expected_shape', expected.shape))),
                  # Translators: a heatmap's title: the learner's tensor and its shape, such as "(4, 6)"
                  _("yours {shape}").format(shape=_shape_text(figure.get('yours_shape', yours.shape))))
        offset = (0, 0)
    for ax, array, title in zip(axes, (expected, yours), titles):
        _heatmap(canvas, ax, array, title=title, offset=offset, cmap="viridis", vmin=low, vmax=high, annotate=annotate)
    if same:
        difference = yours - expected
        limit = _symmetric_limit(difference)
        _heatmap(canvas, axes[2], difference, title=_("yours − expected"), offset=offset, cmap="RdBu_r",
                 vmin=-limit, vmax=limit, annotate=annotate)
    first = figure.get("first")
    if same and first is not None:
        for ax in axes:
            _outline(ax, offset[0] + first[0], offset[1] + first[1])
    return _png(canvas)


def _kernel_text(kernel: Any) -> str:
    rows = kernel if isinstance(kernel, list) else _matrix(kernel).tolist()
    return "[" + ", ".join("[" + ", ".join(f"{float(v):.3g}" for v in row) + "]" for row in rows) + "]"


def _edges_png(figure: dict) -> str:
    image, expected, yours = (_matrix(figure[key]) for key in ("image", "expected", "yours"))
    same = figure.get("same_shape", expected.shape == yours.shape) and expected.shape == yours.shape
    offset = (figure.get("offset") or (0, 0)) if same else (0, 0)
    kernel = figure.get("kernel") or [[1.0, -1.0]]
    yours_kernel = figure.get("kernel_yours")
    kh, kw = len(kernel), len(kernel[0]) if kernel else 1
    canvas = _figure(3, _panel_height(max(image.shape[0], 1), max(image.shape[1], 1)))
    axes = canvas.subplots(1, 3, squeeze=False)[0]
    _heatmap(canvas, axes[0], image, title=_("input image"), offset=offset, cmap="gray", vmin=_finite_range(image)[0],
             vmax=_finite_range(image)[1], annotate=False)
    limit = _symmetric_limit(expected, yours)
    # Translators: an edge map's title: the expected one and the kernel K that made it, such as "[[1, -1]]"
    expected_title = _("expected, K = {kernel}").format(kernel=_kernel_text(kernel))
    # Translators: an edge map's title: the learner's and the kernel K that made it, such as "[[1, -1]]"
    yours_title = (_("yours, K = {kernel}").format(kernel=_kernel_text(yours_kernel)) if yours_kernel is not None
                   else _("yours"))
    if not same:
        expected_title += f" {_shape_text(figure.get('expected_shape', expected.shape))}"
        yours_title += f" {_shape_text(figure.get('yours_shape', yours.shape))}"
    annotate = max(expected.size, yours.size) <= ANNOTATED_CELLS
    for ax, array, title in zip(axes[1:], (expected, yours), (expected_title, yours_title)):
        _heatmap(canvas, ax, array, title=title, offset=offset, cmap="RdBu_r", vmin=-limit, vmax=limit, annotate=annotate)
    first = figure.get("first")
    if same and first is not None:
        row, column = offset[0] + first[0], offset[1] + first[1]
        _outline(axes[0], row, column, height=kh, width=kw)  # the window that makes the first mismatch
        for ax in axes[1:]:
            _outline(ax, row, column)
    return _png(canvas)


def _line_label(who: str) -> str:
    """The legend's label of a curve or a line drawn for ``who``: expected, yours or a limit."""
    return {"expected": _("expected"), "yours": _("yours"), "limit": _("limit")}.get(who, who)


def _curves_png(figure: dict) -> str:
    panels = figure["panels"]
    canvas = _figure(max(len(panels), 1) * 1.35, 3.0, left=0.6, bottom=0.5, wspace=0.25)
    axes = canvas.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        for who in ("expected", "yours"):
            values = panel.get(who) or []
            if values:
                ax.plot(range(1, len(values) + 1), [float(v) for v in values], color=LINE_COLOUR[who],
                        linewidth=1.6 if who == "yours" else 1.2, label=_line_label(who))
        for line in panel.get("lines") or []:
            who = line.get("who", "limit")
            ax.axhline(float(line["value"]), color=LINE_COLOUR.get(who, "#1a7f37"),
                       linestyle=":" if who == "limit" else "--", linewidth=1.1,
                       label=str(line["label"]) if "label" in line else _line_label(who))
        ax.set_title(str(panel.get("title", "")), fontsize=10)
        ax.set_xlabel(str(panel["xlabel"]) if "xlabel" in panel else _("step"), fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="best")
    return _png(canvas)


# ---------------------------------------------------------------- HTML


def _caption(text: str) -> str:
    return f'<figcaption style="{MONO} color: #57606a; margin-top: 4px;">{_e(text)}</figcaption>'


def _image(png: str, alt: str, caption: str) -> str:
    return (f'<figure style="margin: 8px 0;"><img alt="{_e(alt)}" src="data:image/png;base64,{png}" '
            f'style="max-width: 100%; height: auto;">{_caption(caption)}</figure>')


def _what(figure: dict) -> str:
    return clip(str(figure.get("what", "")), MAX_CAPTION_BYTES)


def _shape_cell(shape: Any) -> str:
    return _shape_text(shape) if isinstance(shape, (list, tuple)) else "—"


def _row_differs(row: int, expected: list, yours: list) -> bool:
    if row >= len(expected) or row >= len(yours):
        return True
    e, y = expected[row], yours[row]
    return (e.get("name"), e.get("shape")) != (y.get("name"), y.get("shape"))


def _blocks_table(figure: dict) -> str:
    """The block-by-block table: each block's name and output shape, expected and yours; the first
    block that differs highlighted, any other whose name or shape differs marked ✗."""
    expected, yours = list(figure.get("expected") or []), list(figure.get("yours") or [])
    first, start = figure.get("first"), int(figure.get("start", 0))
    details = any(row.get("detail") for row in expected + yours)
    cell = "padding: 3px 8px; border-bottom: 1px solid #d0d7de; text-align: left; vertical-align: top;"
    head = ["", "#", _("expected block"), _("output shape"), _("your block"), _("output shape")]
    if details:
        head += [_("expected statistics"), _("your statistics")]
    lines = [f'<table style="border-collapse: collapse; {MONO} margin: 8px 0;">',
             f'<caption style="caption-side: top; text-align: left; {FONT} padding-bottom: 4px;">'
             f"{_e(_what(figure))}</caption>",
             "<tr>" + "".join(f'<th style="{cell} background: #f6f8fa;">{_e(h)}</th>' for h in head) + "</tr>"]
    for row in range(max(len(expected), len(yours))):
        e = expected[row] if row < len(expected) else {}
        y = yours[row] if row < len(yours) else {}
        if row == first:
            # Translators: marks the first block of the learner's network that differs from the expected one
            style, mark = "background: #ffd7d5; font-weight: bold;", "✗ " + _("first difference")
        elif _row_differs(row, expected, yours):
            style, mark = "background: #fff5f5;", "✗"
        else:
            style, mark = "", ""
        cells = [mark, str(row + start), e.get("name", "—") if e else "—", _shape_cell(e.get("shape")) if e else "—",
                 y.get("name", "—") if y else "—", _shape_cell(y.get("shape")) if y else "—"]
        if details:
            cells += [e.get("detail", ""), y.get("detail", "")]
        colour = ' color: #cf222e;' if mark else ""
        lines.append(f'<tr style="{style}">' + "".join(
            f'<td style="{cell}{colour if index == 0 else ""}">{_e(text)}</td>' for index, text in enumerate(cells))
            + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def figure_html(figure: dict) -> str:
    """One figure as HTML: a PNG in an ``<img>`` (maps, edges, curves) with its caption, or a
    ``<table>`` (blocks); an unknown kind gives "". A figure that cannot be drawn says so in a
    caption instead of raising (it was drawn from a submission's data)."""
    kind = figure.get("kind") if isinstance(figure, dict) else None
    try:
        if kind == "blocks":
            return _blocks_table(figure)
        if kind == "maps":
            with _drawing():
                png = _maps_png(figure)
            same = figure.get("same_shape", True)
            alt = (_("expected, yours and yours − expected as heatmaps") if same
                   else _("expected and yours as heatmaps (their shapes differ)"))
            where = _where(figure) if same else ""
            return _image(png, alt, _what(figure) + (f" — {where}" if where else ""))
        if kind == "edges":
            with _drawing():
                png = _edges_png(figure)
            where = _where(figure) if figure.get("same_shape", True) else ""
            return _image(png, _("the input image, the expected edge map and yours"),
                          _what(figure) + (f" — {where}" if where else ""))
        if kind == "curves":
            with _drawing():
                png = _curves_png(figure)
            return _image(png, _("your training curves over the reference's"), _what(figure))
    except Exception as exc:  # a picture must never break the feedback it illustrates
        # Translators: {error} is an exception's class, such as "ValueError"
        return _caption(_("(this picture could not be drawn: {error})").format(error=type(exc).__name__))
    return ""


def _check_label(result: CheckResult) -> str:
    """A check's mark, name and kind."""
    return (f'<span style="color: {COLOUR[result.status]}; font-weight: bold;">{MARK[result.status]}</span> '
            f'{_e(result.check.name)} <span style="color: #6e7781;">[{_e(kind_label(result.check.kind))}]</span>')


def _figures(result: CheckResult) -> str:
    """The figures of a failed check, drawn ("" when it has none, or passed)."""
    drawn = [figure_html(f) for f in result.figures] if result.status is Status.FAILED else []
    return "\n".join(f for f in drawn if f)


def _check_html(result: CheckResult) -> str:
    status = result.status
    colour = COLOUR[status]
    parts = [f'<div style="margin: 4px 0;">{_check_label(result)}']
    if status in (Status.PENDING, Status.SKIPPED) and result.message:
        parts.append(f' <span style="color: {colour};">{_e(_(CHECK_STATUS[status]).format(message=result.message))}</span>')
    if status is Status.FAILED:
        parts.append(f'<pre style="{MONO} white-space: pre-wrap; background: #f6f8fa; border-left: 3px solid {colour}; '
                     f'padding: 6px 10px; margin: 4px 0 4px 18px;">{_e(result.message)}</pre>')
        figures = _figures(result)
        if figures:
            parts.append(f'<div style="margin-left: 18px;">{figures}</div>')
    for warning in result.warnings:
        # Translators: a check's warning, which costs no points
        note = _("(warning, not counted: {warning})").format(warning=warning)
        parts.append(f'<div style="{MONO} color: #6e7781; margin-left: 18px;">{_e(note)}</div>')
    parts.append("</div>")
    return "".join(parts)


def kata_html(result: KataResult) -> str:
    """One kata's results as a self-contained HTML fragment (inline CSS only): its title and status,
    each check's status and message, and the figures of the failed checks."""
    kata = result.kata
    status = result.status
    summary = _("{passed}/{total} checks passed, {score:.1f}/{points} points").format(
        passed=result.count(Status.PASSED), total=result.applicable, score=result.score,
        points=kata.points).replace(".0/", "/")
    # Translators: {citation} is the book's section, such as "d2l-zh 6.2"; {module} a file name such as "conv_layer"
    where = _("({citation}, {module}.py)").format(citation=kata.citation, module=kata.module)
    # Translators: a kata's status (done, failing, pending, skipped), then its checks and points
    state = _("{status}: {summary}").format(status=status_label(status), summary=summary)
    header = (f'<div style="font-weight: bold; font-size: 15px;">{_e(kata.id)} — {_e(kata.title)} '
              f'<span style="color: #6e7781; font-weight: normal;">{_e(where)}</span> '
              f'<span style="color: {COLOUR[status]};">{_e(state)}</span></div>')
    checks = "\n".join(_check_html(r) for r in result.results)
    return (f'<div class="convkata-kata" style="{FONT} border: 1px solid #d0d7de; border-radius: 6px; '
            f'padding: 8px 12px; margin: 8px 0; color: #1f2328; background: #ffffff;">\n{header}\n{checks}\n</div>')


def pictures_html(result: KataResult) -> str:
    """Only the pictures of a kata's failed checks, each under its check's name, for a place that
    has shown the text already (a notebook's check cell); "" when no failed check has one."""
    parts = [f'<div style="margin: 6px 0;">{_check_label(check)}\n{figures}</div>'
             for check in result.results if (figures := _figures(check))]
    if not parts:
        return ""
    body = "\n".join(parts)
    return f'<div class="convkata-pictures" style="{FONT} color: #1f2328; background: #ffffff;">\n{body}\n</div>'


def display_pictures(result: KataResult) -> None:
    """Show ``pictures_html(result)`` in the IPython kernel running this, if any (a notebook's check
    cell: under the text it printed); elsewhere, nothing."""
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:
        return
    pictures = pictures_html(result) if get_ipython() is not None else ""
    if pictures:
        display(HTML(pictures))


def page(fragments: list[str], title: str) -> str:
    """A standalone HTML page of ``fragments`` (kata_html's) under ``title``."""
    body = "\n".join(fragments)
    return (f'<!DOCTYPE html>\n<html lang="{LANGUAGE_TAGS[language()]}">\n<head>\n<meta charset="utf-8">\n'
            f'<title>{_e(title)}</title>\n</head>\n'
            f'<body style="{FONT} max-width: 1100px; margin: 16px auto; padding: 0 12px; background: #ffffff;">\n'
            f'<h1 style="font-size: 20px;">{_e(title)}</h1>\n{body}\n</body>\n</html>\n')
