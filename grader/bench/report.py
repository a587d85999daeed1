"""The instructor's benchmark report, rendered from ``kata bench``'s summary (OUT/bench.json).

    write_report(summary, out) -> {file name: path}

Files, side by side in ``out`` (the HTML loads nothing from the network: plain tables, inline
CSS, the PNGs beside it):

- ``report.md`` and ``report.html``: the same content — settings, a table per timed kata (every
  submission at one side, named in the headers), each student's total score, the class's scores
  per kata and its failures by diagnosed mistake;
- ``time-<kata>.png``: time against image side (log–log), a panel per timed submission, with the
  reference's and F.conv2d's times measured in the same sweep;
- ``speedup.png``: each submission's speed-up over the reference (the reference's time over
  the submission's: higher is faster) at the side of its kata's table, F.conv2d's marked beside it;
- ``scores.png``: every student's score per kata, as a share of the kata's points;
- ``mistakes.png``: how many students' failed checks show each known mistake.

One convention throughout: a speed-up is the reference's median time over the contender's (above
1× faster). Times and speed-ups show two significant figures, one once a spread involved reaches
``ONE_FIGURE_SPREAD``.

The report speaks the language convkata speaks, its figures too where matplotlib has a font that
draws it (``grader.grading.pictures.figure_language``); where none is installed, the figures keep to English.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

from grader.core.i18n import LANGUAGE_TAGS, N_, _, language, ngettext
from grader.grading.pictures import figure_language
from grader.grading.store import atomic_write

from .timing import growth_exponent

#: The contenders as the report names them (translated where shown).
CONTENDER_LABELS = {"submission": N_("submission"), "reference": N_("reference"), "conv2d": "F.conv2d"}
STATUS_ORDER = ("passed", "failed", "pending")
#: From this spread (interquartile range over the median) on, a median is worth one significant figure.
ONE_FIGURE_SPREAD = 0.5
FONT = 9  # the figures' smallest text, in points
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


def significant_figures(spread: float) -> int:
    """The significant figures a median, or a ratio of medians, of this spread deserves."""
    return 1 if spread >= ONE_FIGURE_SPREAD else 2


def significant(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant figures, never in exponent form: ``0.0013``, ``2.0``, ``800``."""
    rounded = float(f"{value:.{digits}g}")
    decimals = digits - 1 - math.floor(math.log10(abs(rounded))) if rounded else digits - 1
    return f"{rounded:.{max(decimals, 0)}f}"


def duration(seconds: float, digits: int = 3) -> str:
    """``57.5 µs``, ``6.73 ms``, ``1.20 s``: ``digits`` significant figures in a readable unit."""
    seconds = float(f"{seconds:.{digits}g}")
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{significant(seconds / scale, digits)} {unit}"
    return f"{significant(seconds / 1e-9, digits)} ns"


def speedup(value: float, spread: float) -> str:
    """A speed-up as ``2.1×``, to the figures its spread (the larger of its two medians') allows."""
    return f"{significant(value, significant_figures(spread))}×"


def label(contender: str) -> str:
    """A contender's name as the report shows it: ``submission``, ``reference``, ``F.conv2d``."""
    return _(CONTENDER_LABELS[contender])


def exponent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def timed(summary: dict, kata: str) -> list[tuple[str, dict]]:
    """(student, timings) of the submissions whose ``kata`` was timed, in the summary's order."""
    return [(s["student"], s["timings"][kata]) for s in summary["submissions"]
            if s["timings"].get(kata, {}).get("benchmarked")]


def compared_side(summary: dict, kata: str) -> int | None:
    """The side ``kata``'s table and bars compare at: the largest every timed sweep of it reached."""
    return min((timing["sides"][-1] for _student, timing in timed(summary, kata)), default=None)


def speedup_at(timing: dict, contender: str, side: int) -> tuple[float, str]:
    """``contender``'s speed-up over the reference at ``side``, and its text."""
    index = timing["sides"].index(side)
    spread = max(timing["spread"][contender][index], timing["spread"]["reference"][index])
    value = timing["speedup"][contender][index]
    return value, speedup(value, spread)


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
                         label=f"{label(contender)} (k = {exponent(timing['growth_exponent'][contender])})")
        panel.set_xticks(timing["sides"], [str(side) for side in timing["sides"]])
        panel.minorticks_off()
        title = (_("{student}, not timed above {side}").format(student=student, side=timing["sides"][-1])
                 if timing["skipped"] else student)
        panel.set_title(title, fontsize=FONT + 1)
        panel.set_xlabel(_("image side n (n×n pixels)"))
        panel.set_ylabel(_("median seconds per call"))
        panel.grid(True, which="major", alpha=0.3)
        panel.legend(fontsize=FONT - 1)
    for panel in list(axes.flat)[len(runs):]:
        panel.set_visible(False)
    figure.suptitle(_("{kata}: time against image size").format(kata=kata), fontsize=FONT + 2)
    _save(figure, path)


def speedup_rows(summary: dict) -> list[tuple[str, float, float, str]]:
    """Per timed submission, kata by kata: (row label, its speed-up, F.conv2d's, both as text) at the kata's side."""
    rows = []
    for kata in (k["id"] for k in summary["settings"]["katas"]):
        side = compared_side(summary, kata)
        for student, timing in timed(summary, kata):
            (mine, mine_text), (torch_s, torch_text) = (speedup_at(timing, c, side) for c in ("submission", "conv2d"))
            rows.append((_("{kata} at n = {side}: {student}").format(kata=kata, side=side, student=student),
                         mine, torch_s, f"{mine_text}  (F.conv2d {torch_text})"))
    return rows


def log_limits(values: list[float]) -> tuple[float, float]:
    """Whole decades around ``values`` (room for a marker at either end) and 1×, the reference."""
    low, high = min(min(values) / 1.5, 1.0), max(max(values) * 1.5, 1.0)
    return 10.0 ** math.floor(math.log10(low)), 10.0 ** math.ceil(math.log10(high))


def log_ticks(low: float, high: float) -> list[float]:
    """The decades from ``low`` to ``high``, and 2× and 5× each when they span two decades or fewer."""
    decades = [low * 10.0 ** d for d in range(round(math.log10(high / low)) + 1)]
    steps = (1, 2, 5) if len(decades) <= 3 else (1,)
    return [d * step for d in decades for step in steps if d * step <= high * 1.001]


def speedup_figure(summary: dict):
    """Speed-up over the reference, one row per timed submission: a bar from 1× to its speed-up, F.conv2d's
    as a diamond, both values written right of the axes (where no marker is)."""
    plt = _pyplot()
    from matplotlib.ticker import NullFormatter
    from matplotlib.transforms import blended_transform_factory

    rows = speedup_rows(summary)
    figure, axes = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.7))
    beside = blended_transform_factory(axes.transAxes, axes.transData)
    for y, (_label, mine, torch_s, text) in enumerate(rows):
        axes.barh(y, mine - 1, left=1, height=0.55, color="tab:blue")
        axes.plot(torch_s, y, "kD", markersize=6)
        axes.text(1.02, y, text, transform=beside, va="center", fontsize=FONT)
    axes.axvline(1.0, color="gray", linestyle="--", linewidth=1)
    axes.set_xscale("log")
    low, high = log_limits([value for row in rows for value in row[1:3]])
    ticks = log_ticks(low, high)
    axes.set_xlim(low, high)
    axes.set_xticks(ticks, [f"{significant(t, 1)}×" for t in ticks], fontsize=FONT)
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_yticks(range(len(rows)), [row[0] for row in rows], fontsize=FONT)
    axes.set_ylim(len(rows) - 0.5, -0.5)
    axes.set_xlabel(_("speed-up over the reference (the reference's time ÷ this one's): right of 1× is faster"),
                    fontsize=FONT + 1)
    axes.set_title(_("speed-up over the reference — bars: submissions; ◆: F.conv2d, same sweep"), fontsize=FONT + 2)
    axes.grid(True, axis="x", which="major", alpha=0.3)
    return figure


def plot_speedups(summary: dict, path: Path) -> None:
    _save(speedup_figure(summary), path)


def _bar_count(summary: dict) -> int:
    return sum(len(timed(summary, k["id"])) for k in summary["settings"]["katas"])


def plot_scores(class_: dict, path: Path) -> None:
    """Each student's score per kata as a share of its points (one colour per student); the mean as a bar."""
    plt = _pyplot()
    katas = class_["katas"]
    students = class_students(class_)
    figure, axes = plt.subplots(figsize=(max(6.0, 0.5 * len(katas) + 2), 4.2))
    for x, kata in enumerate(katas):
        shares = [kata["scores"][s] / kata["points"] for s in students if s in kata["scores"]]
        axes.bar(x, sum(shares) / len(shares), color="lightgray", width=0.8, label=_("class mean") if x == 0 else None)
    for number, student in enumerate(students):
        offset = (number - (len(students) - 1) / 2) * 0.6 / max(len(students), 1)
        points = [(x + offset, kata["scores"][student] / kata["points"]) for x, kata in enumerate(katas)
                  if student in kata["scores"]]
        axes.plot([p[0] for p in points], [p[1] for p in points], "o", markersize=5, label=student)
    axes.set_xticks(range(len(katas)), [k["id"] for k in katas], rotation=60, ha="right", fontsize=FONT)
    axes.set_ylim(-0.05, 1.1)
    axes.set_ylabel(_("share of the kata's points"), fontsize=FONT + 1)
    axes.set_title(_("scores per kata"), fontsize=FONT + 2)
    axes.legend(fontsize=FONT, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _save(figure, path)


def class_students(class_: dict) -> list[str]:
    return sorted({student for kata in class_["katas"] for student in kata["scores"]})


def mistakes_figure(class_: dict):
    """Students per known mistake their failed checks show, a bar each, named beside it. Failures no
    known mistake explains are left out: they are the table's last row and the caption's."""
    plt = _pyplot()
    known = [g for g in class_["mistakes"] if g["id"] is not None]
    figure, axes = plt.subplots(figsize=(8.0, 0.5 * max(len(known), 1) + 1.6))
    if not known:
        axes.text(0.5, 0.5, _("no failed check shows a known mistake") if class_["mistakes"] else _("no check failed"),
                  ha="center", va="center", fontsize=FONT + 1)
        axes.set_axis_off()
    else:
        bars = axes.barh(range(len(known)), [len(g["students"]) for g in known], color="tab:red", height=0.6)
        axes.bar_label(bars, [_clipped(", ".join(g["students"]), 40) for g in known], padding=4, fontsize=FONT)
        axes.set_yticks(range(len(known)), [_clipped(mistake_name(g), 48) for g in known], fontsize=FONT)
        axes.invert_yaxis()
        axes.set_xlim(0, 1.5 * max(len(g["students"]) for g in known))
        axes.set_xlabel(_("students (of {count})").format(count=len(class_students(class_))), fontsize=FONT + 1)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.tick_params(axis="x", labelsize=FONT)
    axes.set_title(_("students whose failed checks show each known mistake"), fontsize=FONT + 2)
    return figure


def mistake_name(group: dict) -> str:
    """A group of failures' name (``class_summary``'s) in the language spoken now: the summary's is
    in the language it was made in."""
    from grader.core.diagnosis import known_mistakes

    if group["id"] is None:
        return _("no known mistake")
    mistake = known_mistakes().get(group["id"])
    return mistake.name if mistake is not None else group["name"]


def _clipped(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length - 1] + "…"


def plot_mistakes(class_: dict, path: Path) -> None:
    _save(mistakes_figure(class_), path)


# --- text --------------------------------------------------------------------------------------

def kata_table(summary: dict, kata: str) -> Table:
    """One row per submission, every timed one at the kata's compared side (in the headers): the
    medians, the speed-ups over the reference, the spreads and the growth exponents."""
    side = compared_side(summary, kata)
    # Translators: {at} in the headers of a kata's table: the side its columns compare at, or nothing
    at = _(" at n = {side}").format(side=side) if side else ""
    rows = []
    for entry in summary["submissions"]:
        timing = entry["timings"].get(kata)
        if timing is None:
            continue
        if not timing["benchmarked"]:
            rows.append([entry["student"], *["—"] * 8, timing["reason"]])
            continue
        index, sides, k = timing["sides"].index(side), timing["sides"], timing["growth_exponent"]
        spreads = [timing["spread"][name][index] for name in ("submission", "reference", "conv2d")]
        rows.append([entry["student"], f"{sides[0]}–{sides[-1]}" if len(sides) > 1 else str(sides[0]),
                     *(duration(timing["median_s"][name][index], significant_figures(spread))
                       for name, spread in zip(("submission", "reference", "conv2d"), spreads)),
                     speedup_at(timing, "submission", side)[1], speedup_at(timing, "conv2d", side)[1],
                     " / ".join(f"{spread:.0%}" for spread in spreads),
                     f"{exponent(k['submission'])} ({exponent(k['reference'])}, {exponent(k['conv2d'])})",
                     _skipped_note(timing)])
    return Table([_("student"), _("sides timed"), _("median{at}").format(at=at), _("reference{at}").format(at=at),
                  _("F.conv2d{at}").format(at=at), _("speed-up{at}").format(at=at),
                  _("F.conv2d's speed-up{at}").format(at=at),
                  _("spread{at} (submission / reference / F.conv2d)").format(at=at),
                  _("growth exponent k (reference, F.conv2d)"), _("note")], rows)


def _skipped_note(timing: dict) -> str:
    if not timing["skipped"]:
        return ""
    # Translators: {sides} lists image sides ("64, 128"); {reason} says why the sweep stopped
    return _("{sides} not timed: {reason}").format(sides=", ".join(map(str, timing["skipped"])),
                                                    reason=timing["stopped"])


def growth_text(summary: dict, kata: str) -> str | None:
    """k between consecutive sides in the sweep of ``kata`` with the most sides (None with fewer than three):
    where the single fitted exponent hides overhead at one end and a rising time per pixel at the other."""
    student, timing = max(timed(summary, kata), key=lambda run: len(run[1]["sides"]), default=(None, None))
    if timing is None or len(timing["sides"]) < 3:
        return None
    sides = timing["sides"]
    steps = range(len(sides) - 1)
    local = {name: ", ".join(exponent(growth_exponent(sides[i:i + 2], timing["median_s"][name][i:i + 2]))
                             for i in steps) for name in CONTENDER_LABELS}
    # Translators: {steps} is "8→16, 16→32"; {exponents} is "submission 1.0, 2.0; reference 1.0, 2.0; F.conv2d 0.0, 3.0"
    return _("Growth from one side to the next in {student}'s sweep ({steps}): {exponents}. The table's k is "
             "fitted over all of them (see Growth exponent above).").format(
                 student=student, steps=", ".join(f"{sides[i]}→{sides[i + 1]}" for i in steps),
                 exponents="; ".join(f"{label(name)} {values}" for name, values in local.items()))


def student_table(summary: dict) -> Table:
    """Each student's total points out of the maximum, katas passed, and the katas short of full points."""
    katas = summary["class"]["katas"]
    rows = []
    for entry in summary["submissions"]:
        student, score, most = entry["student"], entry["score"], entry["max_score"]
        passed = sum(kata["statuses"].get(student) == "passed" for kata in katas)
        short = [f"{kata['id']} {_points(kata['scores'].get(student, 0))}/{kata['points']}" for kata in katas
                 if kata["scores"].get(student, 0) < kata["points"]]
        rows.append([student, f"{_points(score)} / {_points(most)}", f"{score / most:.0%}" if most else "—",
                     _("{passed} of {total}").format(passed=passed, total=len(katas)),
                     _("every kata") if len(short) == len(katas) else ", ".join(short) or "—"])
    return Table([_("student"), _("points"), _("share"), _("katas passed"), _("katas short of full points")], rows)


def _points(value: float) -> str:
    return f"{round(value, 2):g}"


def score_table(class_: dict) -> Table:
    rows = []
    for kata in class_["katas"]:
        scores, statuses = list(kata["scores"].values()), list(kata["statuses"].values())
        rows.append([kata["id"], str(kata["points"]), *(str(statuses.count(s)) for s in STATUS_ORDER),
                     f"{sum(scores) / len(scores):.2f}", f"{min(scores):g}", f"{max(scores):g}"])
    return Table([_("kata"), _("points"), _("done"), _("failing"), _("pending"), _("mean"), _("min"), _("max")], rows)


def mistake_table(class_: dict) -> Table:
    return Table([_("mistake"), _("katas"), _("students"), _("failed checks")],
                 [[mistake_name(g) + (f" ({g['id']})" if g["id"] else ""), ", ".join(g["katas"]),
                   ", ".join(g["students"]), str(g["checks"])] for g in class_["mistakes"]])


def mistakes_caption(class_: dict) -> str:
    """What mistakes.png counts, and the failures it leaves out (no known mistake explains them)."""
    unexplained = next((g for g in class_["mistakes"] if g["id"] is None), None)
    if not unexplained:
        return _("Each bar counts the students at least one of whose failed checks shows that known mistake.")
    checks, students = unexplained["checks"], len(unexplained["students"])
    # Translators: {checks} is "2 failed checks", {students} "1 student", {names} the students' names
    return _("Each bar counts the students at least one of whose failed checks shows that known mistake. "
             "Not drawn: {checks} no known mistake explains, of {students} ({names}) — the table's last row.").format(
                 checks=ngettext("{count} failed check", "{count} failed checks", checks).format(count=checks),
                 students=ngettext("{count} student", "{count} students", students).format(count=students),
                 names=", ".join(unexplained["students"]))


#: How to read the tables (``spread``: ONE_FIGURE_SPREAD).
READING = N_("Speed-up: the reference's median time over the submission's (or F.conv2d's) at the side in the column "
             "header — above 1× faster than the reference, below 1× slower; the chart further down shows the same "
             "numbers. A kata's table compares every submission at one side: the largest all its timed sweeps "
             "reached. Spread: the interquartile range over the median of each contender's samples there — past 10 "
             "to 20%, other work on the machine blurs the numbers, so times and speed-ups show two significant "
             "figures, one where a spread involved reaches {spread:.0%}. Timings are informational: they never "
             "change a grade.")
#: What the growth exponent means.
GROWTH = N_("Growth exponent k: the least-squares slope of log(time) against log(side n) over the sides timed "
            "(time ≈ c·n^k). The work — (n−2)² output pixels, each the same multiply-adds — grows as n², so k = 2 where "
            "the time per pixel is constant; a slope fitted over all the sides mixes regimes, hence k from one side to "
            "the next under each table. Below 2, a fixed cost per call (Python, torch's dispatch, allocation) still "
            "outweighs the pixels, as for every vectorised version at small sides. Above 2, the time per pixel grows "
            "with n: the data (X, Y and any unfolded copy of X, kh·kw times its size) outgrow the CPU's caches, and "
            "F.conv2d changes algorithm — on the CPU, torch passes a float32 input of more than 20,480 values (one "
            "channel from n = 144, three from n = 83) to oneDNN instead of its own unfold-and-multiply, except with a "
            "1×1 kernel on one thread (ATen's use_mkldnn rule). A step where all three contenders steepen together "
            "points at memory or other load on the machine; one where F.conv2d alone does, at its change of algorithm. "
            "The sweeps run on one torch thread, so thread scheduling plays no part.")


def blocks(summary: dict, figures: dict[str, str]) -> list[Block]:
    """The report's content, for both renderings; ``figures``: kata id (or a figure's name) → PNG file."""
    settings = summary["settings"]
    sides = settings["sides"]
    threads = sorted({t["threads"] for s in summary["submissions"] for t in s["timings"].values() if t["benchmarked"]})
    content: list[Block] = [
        ("h1", _("Benchmark report: the corr2d family")),
        # Translators: {device} is CPU; {threads} lists torch's thread counts ("1") or says "none timed";
        # {kernel}×{kernel} is the kernel's shape (3×3)
        ("p", _("{count} submissions, graded in {graded_in}; only katas that pass are timed. Each sweep ran in the "
                "grader's sandbox on the {device} (torch {torch}, torch threads: {threads}) over image sides {sides} "
                "with a {kernel}×{kernel} kernel: per side, one warm-up round, then {rounds} rounds calling the "
                "submission, the reference and F.conv2d in turn on the same inputs, each round in another order; the "
                "figures are medians. A sweep stops after a side where a call took over {call_seconds:g} s, or before "
                "one that would not fit its {budget_seconds:g} s.").format(
                    count=len(summary["submissions"]), graded_in=settings["graded_in"],
                    device=settings["device"].upper(), torch=settings["torch"],
                    threads=", ".join(map(str, threads)) or _("none timed"), sides=", ".join(map(str, sides)),
                    kernel=settings["kernel"], rounds=settings["rounds"], call_seconds=settings["call_seconds"],
                    budget_seconds=settings["budget_seconds"])),
        ("p", _(READING).format(spread=ONE_FIGURE_SPREAD)),
        ("p", _(GROWTH)),
    ]
    for kata in settings["katas"]:
        content.append(("h2", f"{kata['id']} — {kata['title']}: {kata['function']}({kata['inputs']})"))
        content.append(kata_table(summary, kata["id"]))
        growth = growth_text(summary, kata["id"])
        content += [("p", growth)] if growth else []
        if kata["id"] in figures:
            content.append(Figure(figures[kata["id"]], _("time against image side for {kata}").format(kata=kata["id"])))
        else:
            content.append(("p", _("No submission passes this kata, so nothing was timed.")))
    if "speedup" in figures:
        content += [("h2", _("Speed-up over the reference")),
                    Figure(figures["speedup"], _("speed-up over the reference"))]
    class_ = summary["class"]
    content += [("h2", _("Total score per student")), student_table(summary),
                ("h2", _("Scores per kata")), score_table(class_), Figure(figures["scores"], _("scores per kata")),
                ("h2", _("Failures by diagnosed mistake")),
                mistake_table(class_) if class_["mistakes"] else ("p", _("No check failed.")),
                Figure(figures["mistakes"], _("students per known mistake")), ("p", mistakes_caption(class_)),
                ("p", _("Raw data: bench.json (every timing sample, in nanoseconds). Created {created} in {seconds:g} s."
                        ).format(created=settings["created"], seconds=settings["seconds"]))]
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
    title = _("convkata benchmark report")
    parts = ["<!DOCTYPE html>", f'<html lang="{LANGUAGE_TAGS[language()]}"><head><meta charset="utf-8">',
             f"<title>{html.escape(title)}</title>", f"<style>{STYLE}</style></head><body>"]
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
    with figure_language():
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
