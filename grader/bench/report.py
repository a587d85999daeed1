"""The instructor's benchmark report, rendered from ``kata bench``'s summary (OUT/bench.json).

    write_report(summary, out) -> {file name: path}

Files, side by side in ``out`` (the HTML loads nothing from the network: plain tables, inline
CSS, the PNGs beside it):

- ``report.md`` and ``report.html``: the same content — settings, a table per timed kata, the
  class's scores per kata and its failures by diagnosed mistake;
- ``time-<kata>.png``: time against image side (log–log), a panel per timed submission, with the
  reference's and F.conv2d's times measured in the same sweep;
- ``speedup.png``: each submission's speed-up over the reference (its time ÷ theirs) at the
  largest side it was timed at, F.conv2d's marked beside it;
- ``scores.png``: every student's score per kata, as a share of the kata's points;
- ``mistakes.png``: how many students' failing checks name each known mistake.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from grader.grading.store import atomic_write

CONTENDER_LABELS = {"submission": "submission", "reference": "reference", "conv2d": "F.conv2d"}
STATUS_ORDER = ("passed", "failed", "pending")


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Figure:
    file: str
    alt: str


#: A report is a list of blocks: ("h1" | "h2" | "p", text), a Table or a Figure.
Block = tuple | Table | Figure


def duration(seconds: float) -> str:
    """``57.5 µs``, ``6.73 ms``, ``1.20 s``: three significant figures in a readable unit."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def ratio(value: float) -> str:
    return f"{value:.3g}×"


def exponent(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def timed(summary: dict, kata: str) -> list[tuple[str, dict]]:
    """(student, timings) of the submissions whose ``kata`` was timed, in the summary's order."""
    return [(s["student"], s["timings"][kata]) for s in summary["submissions"]
            if s["timings"].get(kata, {}).get("benchmarked")]


# --- figures -----------------------------------------------------------------------------------

def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=110, bbox_inches="tight")  # legends placed outside the axes included
    _pyplot().close(figure)


def plot_times(summary: dict, kata: str, path: Path) -> None:
    """Median time per call against the image side, log–log: a panel per timed submission."""
    plt = _pyplot()
    runs = timed(summary, kata)
    columns = min(len(runs), 3)
    rows = -(-len(runs) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.3 * rows), squeeze=False)
    for panel, (student, timing) in zip(axes.flat, runs):
        for contender, style in (("submission", "o-"), ("reference", "s--"), ("conv2d", "^:")):
            panel.loglog(timing["sides"], timing["median_s"][contender], style, markersize=4,
                         label=f"{CONTENDER_LABELS[contender]} (k = {exponent(timing['growth_exponent'][contender])})")
        panel.set_xticks(timing["sides"], [str(side) for side in timing["sides"]])
        panel.minorticks_off()
        stopped = f", not timed above {timing['sides'][-1]}" if timing["skipped"] else ""
        panel.set_title(f"{student}{stopped}", fontsize=9)
        panel.set_xlabel("image side n (n×n pixels)")
        panel.set_ylabel("median seconds per call")
        panel.grid(True, which="major", alpha=0.3)
        panel.legend(fontsize=7)
    for panel in list(axes.flat)[len(runs):]:
        panel.set_visible(False)
    figure.suptitle(f"{kata}: time against image size", fontsize=10)
    _save(figure, path)


def plot_speedups(summary: dict, path: Path) -> None:
    """Speed-up over the reference (reference time ÷ time) at each submission's largest timed side."""
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter

    figure, axes = plt.subplots(figsize=(max(5.0, 1.1 * _bar_count(summary) + 2), 3.6))
    position, ticks, labels = 0, [], []
    for kata in (k["id"] for k in summary["settings"]["katas"]):
        for student, timing in timed(summary, kata):
            side = timing["sides"][-1]
            mine, torch_s = 1 / timing["ratio_to_reference"]["submission"][-1], 1 / timing["ratio_to_reference"]["conv2d"][-1]
            bar = axes.bar(position, mine, color="tab:blue")
            axes.bar_label(bar, [f"{mine:.2g}×"], fontsize=7)
            axes.plot(position, torch_s, "k^", markersize=5, label="F.conv2d (same sweep)" if not ticks else None)
            ticks.append(position)
            labels.append(f"{kata}\n{student} ({side}²)")
            position += 1
        position += 0.5
    axes.axhline(1.0, color="gray", linestyle="--", linewidth=1, label="reference")
    axes.set_yscale("log")
    times = FuncFormatter(lambda value, _: f"{value:g}×")
    axes.yaxis.set_major_formatter(times)
    axes.yaxis.set_minor_formatter(times)
    axes.set_xticks(ticks, labels, fontsize=7, rotation=30, ha="right")
    axes.set_ylabel("speed-up over the reference")
    axes.set_title("speed-up over the reference at the largest side timed", fontsize=10)
    axes.legend(fontsize=7)
    _save(figure, path)


def _bar_count(summary: dict) -> int:
    return sum(len(timed(summary, k["id"])) for k in summary["settings"]["katas"])


def plot_scores(class_: dict, path: Path) -> None:
    """Each student's score per kata as a share of its points (one colour per student); the mean as a bar."""
    plt = _pyplot()
    katas = class_["katas"]
    students = sorted({student for kata in katas for student in kata["scores"]})
    figure, axes = plt.subplots(figsize=(max(5.0, 0.45 * len(katas) + 2), 3.6))
    for x, kata in enumerate(katas):
        shares = [kata["scores"][s] / kata["points"] for s in students if s in kata["scores"]]
        axes.bar(x, sum(shares) / len(shares), color="lightgray", width=0.8, label="class mean" if x == 0 else None)
    for number, student in enumerate(students):
        offset = (number - (len(students) - 1) / 2) * 0.6 / max(len(students), 1)
        points = [(x + offset, kata["scores"][student] / kata["points"]) for x, kata in enumerate(katas)
                  if student in kata["scores"]]
        axes.plot([p[0] for p in points], [p[1] for p in points], "o", markersize=4, label=student)
    axes.set_xticks(range(len(katas)), [k["id"] for k in katas], rotation=60, ha="right", fontsize=7)
    axes.set_ylim(-0.05, 1.1)
    axes.set_ylabel("share of the kata's points")
    axes.set_title("scores per kata", fontsize=10)
    axes.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _save(figure, path)


def plot_mistakes(class_: dict, path: Path) -> None:
    """Students per diagnosed mistake (a bar each; failures no known mistake explains last)."""
    plt = _pyplot()
    groups = class_["mistakes"]
    figure, axes = plt.subplots(figsize=(7.0, 0.45 * max(len(groups), 1) + 1.4))
    if not groups:
        axes.text(0.5, 0.5, "no check failed", ha="center", va="center")
        axes.set_axis_off()
    else:
        names = [g["name"] if len(g["name"]) <= 48 else g["name"][:47] + "…" for g in groups]
        bars = axes.barh(range(len(groups)), [len(g["students"]) for g in groups], color="tab:red")
        axes.bar_label(bars, [f"{g['checks']} failed check{'s' if g['checks'] != 1 else ''}" for g in groups], fontsize=7)
        axes.set_yticks(range(len(groups)), names, fontsize=7)
        axes.invert_yaxis()
        axes.set_xlabel("students")
        axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_title("failed checks by diagnosed mistake", fontsize=10)
    _save(figure, path)


# --- text --------------------------------------------------------------------------------------

def kata_table(summary: dict, kata: str) -> Table:
    """One row per submission: the medians at its largest timed side, the ratios, the exponents."""
    rows = []
    for entry in summary["submissions"]:
        timing = entry["timings"].get(kata)
        if timing is None:
            continue
        if not timing["benchmarked"]:
            rows.append([entry["student"], *["—"] * 8, timing["reason"]])
            continue
        medians, ratios, k = timing["median_s"], timing["ratio_to_reference"], timing["growth_exponent"]
        sides = timing["sides"]
        rows.append([entry["student"], f"{sides[0]}–{sides[-1]}" if len(sides) > 1 else str(sides[0]),
                     duration(medians["submission"][-1]), duration(medians["reference"][-1]),
                     duration(medians["conv2d"][-1]), ratio(ratios["submission"][-1]), ratio(ratios["conv2d"][-1]),
                     " / ".join(f"{timing['spread'][name][-1]:.0%}" for name in ("submission", "reference")),
                     f"{exponent(k['submission'])} (ref {exponent(k['reference'])})", _skipped_note(timing)])
    return Table(["student", "sides timed", "median", "reference", "F.conv2d", "÷ reference", "F.conv2d ÷ reference",
                  "spread", "growth exponent", "note"], rows)


def _skipped_note(timing: dict) -> str:
    if not timing["skipped"]:
        return ""
    return f"{', '.join(map(str, timing['skipped']))} not timed: {timing['stopped']}"


def score_table(class_: dict) -> Table:
    rows = []
    for kata in class_["katas"]:
        scores, statuses = list(kata["scores"].values()), list(kata["statuses"].values())
        rows.append([kata["id"], str(kata["points"]), *(str(statuses.count(s)) for s in STATUS_ORDER),
                     f"{sum(scores) / len(scores):.2f}", f"{min(scores):g}", f"{max(scores):g}"])
    return Table(["kata", "points", "done", "failing", "pending", "mean", "min", "max"], rows)


def mistake_table(class_: dict) -> Table:
    return Table(["mistake", "katas", "students", "failed checks"],
                 [[g["name"] + (f" ({g['id']})" if g["id"] else ""), ", ".join(g["katas"]),
                   ", ".join(g["students"]), str(g["checks"])] for g in class_["mistakes"]])


def blocks(summary: dict, figures: dict[str, str]) -> list[Block]:
    """The report's content, for both renderings; ``figures``: kata id (or a figure's name) → PNG file."""
    settings = summary["settings"]
    sides = settings["sides"]
    threads = sorted({t["threads"] for s in summary["submissions"] for t in s["timings"].values() if t["benchmarked"]})
    content: list[Block] = [
        ("h1", "Benchmark report: the corr2d family"),
        ("p", f"{len(summary['submissions'])} submissions, graded in {settings['graded_in']}; only katas that pass "
              f"are timed. Each sweep ran in the grader's sandbox on the {settings['device'].upper()} (torch "
              f"{settings['torch']}, torch threads: {', '.join(map(str, threads)) or 'none timed'}) "
              f"over image sides {', '.join(map(str, sides))} with a "
              f"{settings['kernel']}×{settings['kernel']} kernel: per side, one warm-up round, then "
              f"{settings['rounds']} rounds calling the submission, the reference and F.conv2d in turn on the same "
              f"inputs, each round in another order; the figures are medians. A sweep stops after a side where a call took over "
              f"{settings['call_seconds']:g} s, or before one that would not fit its {settings['budget_seconds']:g} s."),
        ("p", "÷ reference: the median time over the reference's, at the largest side timed (below 1: faster). "
              "Spread: the interquartile range over the median of the submission's and the reference's samples "
              "there — past 10 to 20%, other work on the machine blurs the ratios. "
              "Growth exponent k: the least-squares slope of log(time) against log(side n) over the sides timed, "
              "time ≈ c·n^k — 2 is time proportional to the pixel count; well below 2, per-call overhead still "
              "dominates. Timings are informational: they never change a grade."),
    ]
    for kata in settings["katas"]:
        content.append(("h2", f"{kata['id']} — {kata['title']}: {kata['function']}({kata['inputs']})"))
        content.append(kata_table(summary, kata["id"]))
        if kata["id"] in figures:
            content.append(Figure(figures[kata["id"]], f"time against image side for {kata['id']}"))
        else:
            content.append(("p", "No submission passes this kata, so nothing was timed."))
    if "speedup" in figures:
        content += [("h2", "Speed-up over the reference"), Figure(figures["speedup"], "speed-up bars")]
    content += [("h2", "Scores per kata"), score_table(summary["class"]), Figure(figures["scores"], "scores per kata"),
                ("h2", "Failures by diagnosed mistake"),
                mistake_table(summary["class"]) if summary["class"]["mistakes"] else ("p", "No check failed."),
                Figure(figures["mistakes"], "failed checks by diagnosed mistake"),
                ("p", f"Raw data: bench.json (every timing sample, in nanoseconds). Created {settings['created']} "
                      f"in {settings['seconds']:g} s.")]
    return content


def markdown(content: list[Block]) -> str:
    lines = []
    for block in content:
        if isinstance(block, Table):
            lines += ["| " + " | ".join(block.header) + " |", "|" + "---|" * len(block.header)]
            lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in block.rows]
        elif isinstance(block, Figure):
            lines.append(f"![{block.alt}]({block.file})")
        else:
            kind, text = block
            lines.append({"h1": "# ", "h2": "## ", "p": ""}[kind] + text)
        lines.append("")
    return "\n".join(lines)


STYLE = ("body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em;line-height:1.4}"
         "table{border-collapse:collapse;margin:1em 0;font-size:90%}"
         "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f3f3f3}"
         "img{max-width:100%;display:block;margin:1em 0}")


def html_page(content: list[Block]) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>convkata benchmark report</title>", f"<style>{STYLE}</style></head><body>"]
    for block in content:
        if isinstance(block, Table):
            parts.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in block.header) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in block.rows]
            parts.append("</table>")
        elif isinstance(block, Figure):
            parts.append(f'<img src="{html.escape(block.file)}" alt="{html.escape(block.alt)}">')
        else:
            kind, text = block
            parts.append(f"<{kind}>{html.escape(text)}</{kind}>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(summary: dict, out: Path) -> dict[str, Path]:
    """Render ``summary`` (bench_batch's) into ``out``: report.md, report.html and the PNG figures."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    figures: dict[str, str] = {}
    for kata in (k["id"] for k in summary["settings"]["katas"]):
        if timed(summary, kata):
            figures[kata] = f"time-{kata}.png"
            plot_times(summary, kata, out / figures[kata])
    if _bar_count(summary):
        figures["speedup"] = "speedup.png"
        plot_speedups(summary, out / figures["speedup"])
    figures["scores"], figures["mistakes"] = "scores.png", "mistakes.png"
    plot_scores(summary["class"], out / figures["scores"])
    plot_mistakes(summary["class"], out / figures["mistakes"])
    content = blocks(summary, figures)
    atomic_write(out / "report.md", markdown(content))
    atomic_write(out / "report.html", html_page(content))
    return {name: out / name for name in ("report.md", "report.html", *figures.values())}
