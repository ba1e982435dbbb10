"""Chart PNGs for `!chart` (bars for counts, lines for times), drawn with matplotlib when the optional `[charts]`
extra is installed.

matplotlib is imported lazily, and never on the event loop: it costs about 175 MB on disk and a quarter of a
second to import (conventions.md §4), and the bot must run without it (replies always carry the sparkline and
numbers). `charts_available()` only looks for the package; `warm_up()` imports it and draws a first chart on a
worker thread at start, and `render_chart_async` draws on the same few threads (`RENDERERS` at once), so
neither the import nor a render stalls other commands. Only the object API is used
(`matplotlib.figure.Figure` + `FigureCanvasAgg`), never pyplot: pyplot keeps global figure state and picks a GUI
backend, while a private Figure per call is safe to render on any thread.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import math
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from bot.replies.figures import LABELS, clock, clock_unit

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "INSTALL_HINT",
    "RENDERERS",
    "ChartsUnavailable",
    "charts_available",
    "render_chart",
    "render_chart_async",
    "warm_up",
]

INSTALL_HINT = "install the [charts] extra: pip install 'rocketchat-analytics-bot[charts]'"
_DPI = 100  # pixels = inches * dpi; with a fixed dpi the requested pixel size is exact
# Seconds-based steps so time ticks land on round clock readings (0:15, 0:30, 1:00, 5:00, 1:00:00, ...).
_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_LINE = "#1d74f5"  # Rocket.Chat blue
_RUNNING = "#a5c7fb"  # the same, paler: an hour or day still running, whose count is not final
# Charts drawn at once. Drawing holds the GIL most of the time, so a second thread adds no speed, only memory
# (matplotlib keeps fonts per thread, and glibc a heap arena per thread: 100 charts on two threads ended
# ~20 MB bigger than on one).
RENDERERS = 1
SWITCH_INTERVAL = 0.001  # seconds a thread may hold the GIL while another waits, once charts are drawn
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_loaded = False  # matplotlib imported (on a worker thread)


class ChartsUnavailable(Exception):
    """matplotlib is not installed (or fails to import); the message says how to install it."""


def _require() -> None:
    """Import what the renderer needs now (later imports are then free); ChartsUnavailable if that fails."""
    try:
        import matplotlib.backends.backend_agg
        import matplotlib.figure
        import matplotlib.ticker  # noqa: F401
    except ImportError as exc:
        raise ChartsUnavailable(f"chart pictures need matplotlib: {INSTALL_HINT}") from exc


def charts_available() -> bool:
    """Whether chart PNGs can be drawn, as far as can be told without importing matplotlib (a quick look for the
    package, safe on the event loop). A package that is there but fails to import makes a render raise
    ChartsUnavailable."""
    if _loaded:
        return True
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


def _renderers() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # A drawing thread keeps the GIL until the interpreter's switch interval makes it let go (5 ms by
            # default), and the event loop needs it back after every wait for the network: a command answered
            # while a chart is drawn waited that long several times over (bench/charts.py, +10-27 ms). With
            # 1 ms it gets the GIL back sooner; the interval only matters while threads compete for it.
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
            _pool = ThreadPoolExecutor(max_workers=RENDERERS, thread_name_prefix="chart")
        return _pool


_trim: Callable[[int], int] | None = None


def _give_back_memory() -> None:
    """Return the heap pages a render freed to the system (glibc's `malloc_trim`; a no-op elsewhere). Without it
    the heap of the chart thread stays at its high-water mark: 100 charts left ~20 MB more resident memory."""
    global _trim
    if _trim is None:
        import ctypes  # here, on the chart thread: the bot without charts never loads it

        try:
            _trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to give back this way
            _trim = _no_trim
    _trim(0)


def _no_trim(_pad: int) -> int:
    return 0


def _warm() -> None:
    _require()
    render_chart("Total_conversations", ["1 Jan", "2 Jan"], [1.0, 2.0], is_time=False, subtitle="warm-up")
    render_chart("Avg_response_time", ["1 Jan", "2 Jan"], [60.0, None], is_time=True, subtitle="warm-up")
    _give_back_memory()


async def warm_up() -> bool:
    """Import matplotlib and draw a throw-away chart on a chart thread, so the first `!chart` neither imports nor
    loads fonts. Call it at start (it never blocks the loop; once warm, it returns at once); False when the
    `[charts]` extra is missing."""
    global _loaded
    if _loaded:
        return True
    if not charts_available():
        return False
    try:
        await asyncio.get_running_loop().run_in_executor(_renderers(), _warm)
    except ChartsUnavailable:
        return False
    _loaded = True
    return True


def _thin(count: int, longest: int, width_px: int) -> int:
    """Show every n-th tick label so that labels (about 7 px per character at 9 pt) never overlap."""
    room = width_px * 0.82 / max(count, 1)
    return max(1, math.ceil((longest * 7 + 12) / room))


def _time_step(top: float) -> float:
    """A round step in seconds giving at most six ticks up to `top`."""
    return next((s for s in _TIME_STEPS if top / s <= 6), math.ceil(top / 6 / 86400) * 86400.0)


def _tex_safe(text: str) -> str:
    """matplotlib reads text between two `$` as TeX (and fails on some); department names may contain `$`."""
    return text.replace("$", r"\$")


def _heading(fig: Figure, x: float, y_px: float, text: str, room_px: float, **style: Any) -> None:
    """One line of figure text at `y_px` from the top, cut with "…" until it really fits `room_px`: glyph widths
    vary too much ("W" vs "i") to count characters, so it is measured with the Agg renderer (binary search)."""
    text = " ".join(text.split())
    artist = fig.text(x, 1 - y_px / fig.bbox.height, _tex_safe(text), va="top", **style)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # FigureCanvasAgg has it
    if artist.get_window_extent(renderer).width <= room_px:
        return
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        artist.set_text(_tex_safe(text[:mid] + "…"))
        low, high = (mid, high) if artist.get_window_extent(renderer).width <= room_px else (low, mid - 1)
    artist.set_text(_tex_safe(text[:low].rstrip() + "…"))


def _figure(
    title: str,
    ticks: Sequence[str],
    values: Sequence[float | None],
    *,
    is_time: bool,
    subtitle: str,
    width_px: int,
    height_px: int,
    running: int | None = None,
) -> Figure:
    """The chart as a matplotlib Figure (see `render_chart`); tests look at what it draws where."""
    if len(ticks) != len(values):
        raise ValueError(f"{len(ticks)} labels for {len(values)} points")
    if not (200 <= width_px <= 4000 and 150 <= height_px <= 4000):  # smaller leaves no room for the ticks
        raise ValueError("chart sizes run from 200×150 to 4000×4000 pixels")
    _require()
    from matplotlib import ticker
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_px / _DPI, height_px / _DPI), dpi=_DPI, facecolor="white")
    FigureCanvasAgg(fig)  # attaches itself to the figure: savefig renders through Agg, no backend lookup
    ax = fig.add_subplot()
    ys = [v if v is not None and math.isfinite(v) else math.nan for v in values]
    finite = [y for y in ys if not math.isnan(y)]
    top = max(finite, default=0.0)
    xs = range(len(ys))

    if not finite:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="#6b7280")
    elif is_time:  # a line that breaks at every gap; markers, so a value between two gaps still shows
        ax.plot(xs, ys, color=_LINE, linewidth=2, marker="o", markersize=4 if len(ys) <= 31 else 2.5, clip_on=False)
    else:  # counts per hour or day: one bar each, a gap (no value) left empty; the one still running paler
        colors = [_RUNNING if x == running else _LINE for x in xs]
        ax.bar(xs, [0.0 if math.isnan(y) else y for y in ys], width=0.7, color=colors)
    ax.set_xlim(-0.5, max(len(ys) - 0.5, 0.5))

    step = _thin(len(ticks), max((len(t) for t in ticks), default=1), width_px)
    ax.set_xticks(list(xs)[::step], [_tex_safe(t) for t in ticks[::step]])
    ax.tick_params(axis="both", labelsize=9, colors="#374151")

    if is_time:
        unit = clock_unit(top)
        ceiling = top if top > 0 else 60.0
        ax.yaxis.set_major_locator(ticker.MultipleLocator(_time_step(ceiling)))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: clock(v, unit)))
        ax.set_ylabel(unit, fontsize=9, color="#374151")
    else:
        ceiling = top if top > 0 else 1.0
        ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=6, integer=True, min_n_ticks=2))
        ax.yaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_ylim(0, ceiling * 1.12)

    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # The heading is figure text above a reserved band, not an axes title: tight_layout then only fits the ticks,
    # and a long title is cut with "…" instead of squeezing the plot (or warning that it cannot).
    header_px = 52 if subtitle else 36
    fig.tight_layout(rect=(0, 0, 1, 1 - header_px / height_px))  # unlike bbox_inches="tight", keeps the size
    left = ax.get_position().x0
    room = width_px * (1 - left) - 8
    heading = LABELS.get(title, title)
    _heading(fig, left, 12, heading, room, fontsize=12, fontweight="bold", color="#111827")
    if subtitle:
        _heading(fig, left, 33, subtitle, room, fontsize=9, color="#6b7280")
    return fig


def render_chart(
    title: str,
    ticks: Sequence[str],
    values: Sequence[float | None],
    *,
    is_time: bool,
    subtitle: str = "",
    width_px: int = 800,
    height_px: int = 400,
    running: int | None = None,
) -> bytes:
    """A PNG of a chart's buckets, exactly `width_px` × `height_px`, with `ticks` as the buckets' names.

    Counts (conversations, messages per hour or day) are bars: each bucket is its own amount, and a line between
    them would invent the counts in between. Times are a line with a marker per bucket that breaks where a value
    is None (no data): drawn at 0:00 a gap would read as instant replies. Time axes read m:ss or h:mm with round
    clock steps; counts get whole-number ticks, and the bar at index `running` (this hour, today: its count is
    not final) is paler, so it does not read as a whole hour or day. The y-axis starts at 0 so a small change
    does not look dramatic. Raises ChartsUnavailable without matplotlib."""
    fig = _figure(
        title,
        ticks,
        values,
        is_time=is_time,
        subtitle=subtitle,
        width_px=width_px,
        height_px=height_px,
        running=running,
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


async def render_chart_async(
    title: str,
    ticks: Sequence[str],
    values: Sequence[float | None],
    *,
    is_time: bool,
    subtitle: str = "",
    width_px: int = 800,
    height_px: int = 400,
    running: int | None = None,
) -> bytes:
    """`render_chart` on a chart thread (at most `RENDERERS` at once; the rest queue), so the bot keeps
    reading and answering messages while it imports and draws."""
    global _loaded

    def draw() -> bytes:
        try:
            return render_chart(
                title,
                ticks,
                values,
                is_time=is_time,
                subtitle=subtitle,
                width_px=width_px,
                height_px=height_px,
                running=running,
            )
        finally:
            _give_back_memory()

    png = await asyncio.get_running_loop().run_in_executor(_renderers(), draw)
    _loaded = True
    return png
