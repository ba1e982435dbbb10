"""Chart PNGs: lazy matplotlib, the message when it is missing, exact pixel sizes, and the awkward series."""

from __future__ import annotations

import asyncio
import io
import struct
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.replies import pictures as charts
from bot.replies.pictures import ChartsUnavailable, charts_available, render_chart, render_chart_async

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOURS = [f"{h % 12 or 12}{'AM' if h < 12 else 'PM'}" for h in range(24)]
DAYS = [f"{d} {m}" for m, n in (("Sep", 30), ("Oct", 31), ("Nov", 29)) for d in range(1, n + 1)]  # 90 days

needs_matplotlib = pytest.mark.skipif(not charts_available(), reason="the [charts] extra is not installed")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter, so what is (not) imported and what is blocked cannot leak between tests."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG spec puts first, right after the signature."""
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_importing_the_module_does_not_import_matplotlib() -> None:
    result = run_python(
        """
        import sys
        import bot.replies.pictures
        assert not any(m == "matplotlib" or m.startswith("matplotlib.") for m in sys.modules), "imported"
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_without_matplotlib_the_error_says_how_to_install_it() -> None:
    result = run_python(
        """
        import asyncio, sys
        sys.modules["matplotlib"] = None  # what a missing package looks like to `import`
        from bot.replies.pictures import ChartsUnavailable, charts_available, render_chart, render_chart_async
        assert charts_available() is False
        for call in (
            lambda: render_chart("t", ["9 Mar"], [1.0], is_time=False),
            lambda: asyncio.run(render_chart_async("t", ["9 Mar"], [1.0], is_time=False)),
        ):
            try:
                call()
            except ChartsUnavailable as exc:
                assert isinstance(exc.__cause__, ImportError)
                print(exc)
            else:
                raise AssertionError("no ChartsUnavailable")
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert all("install the [charts] extra: pip install 'rocketchat-analytics-bot[charts]'" in line for line in lines)


def test_charts_unavailable_is_an_exception_with_the_hint() -> None:
    assert issubclass(ChartsUnavailable, Exception)
    assert "pip install 'rocketchat-analytics-bot[charts]'" in charts.INSTALL_HINT


@needs_matplotlib
@pytest.mark.parametrize(
    ("labels", "points", "is_time"),
    [
        (["9 Mar"], [4.0], False),
        (["9 Mar"], [0.0], True),
        (HOURS, [float(h % 7) for h in range(24)], False),
        (HOURS, [0.0] * 8 + [45.0, 72.5, 130.0, 301.0] + [0.0] * 12, True),
        (DAYS, [float(d % 17) for d in range(90)], False),
        (DAYS, [3600.0 + 60 * (d % 40) for d in range(90)], True),  # h:mm axis
        (DAYS[:7], [5.0] * 7, False),  # flat
        (DAYS[:7], [90.0] * 7, True),  # flat time
        (DAYS[:7], [0.0] * 7, False),  # all zero
        (HOURS, [0.0] * 24, True),  # all zero time
        (DAYS[:5], [1.0, float("nan"), 3.0, float("inf"), 2.0], False),  # not finite
        (DAYS[:5], [60.0, None, 90.0, None, None], True),  # gaps
        (HOURS[:11], [None] * 10 + [30.0], True),  # one value after a run of gaps
        (DAYS[:3], [None, None, None], True),  # no data at all
        ([], [], False),  # empty: "no data"
        (DAYS[:3], [1e6, 2e6, 1.5e6], False),  # large counts
    ],
)
def test_renders_a_png_of_the_default_size(labels: list[str], points: list[float], is_time: bool) -> None:
    png = render_chart("Total_conversations", labels, points, is_time=is_time, subtitle="Mon 9 – Sun 15 Nov")
    assert png.startswith(PNG_SIGNATURE)
    assert png_size(png) == (800, 400)


@needs_matplotlib
@pytest.mark.parametrize(("width", "height"), [(800, 400), (640, 321), (1201, 599), (200, 150), (1920, 1080)])
def test_the_png_has_exactly_the_requested_pixel_size(width: int, height: int) -> None:
    png = render_chart("Avg_response_time", HOURS, [60.0] * 24, is_time=True, width_px=width, height_px=height)
    assert png_size(png) == (width, height)


@needs_matplotlib
def test_the_picture_shows_the_bars() -> None:
    from PIL import Image

    png = render_chart("Total_messages", DAYS[:10], [float(i) for i in range(10)], is_time=False)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colors = image.getcolors(maxcolors=800 * 400)
    assert colors is not None
    blue = sum(n for n, (r, g, b) in colors if b > 200 and r < 80 and g < 160)  # the Rocket.Chat blue
    assert blue > 500


def drawn(
    ticks: list[str], values: list[float | None], *, is_time: bool, running: int | None = None
) -> Callable[[float, float], bool]:
    """The chart as a person sees it: whether the pixel at a point of the data (x: bucket, y: value) is blue."""
    from PIL import Image

    fig = charts._figure("t", ticks, values, is_time=is_time, subtitle="", width_px=800, height_px=400, running=running)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    image = Image.open(buffer).convert("RGB")
    (ax,) = fig.axes

    def blue(x: float, y: float) -> bool:
        px, py = ax.transData.transform((x, y))
        r, g, b = image.getpixel((round(px), round(400 - py)))
        return b > 200 and r < 80 and g < 160

    return blue


@needs_matplotlib
def test_counts_are_bars() -> None:
    """Each day's count is its own bar: filled below the top, and nothing between two bars (a line from 5 down to
    0 would cross the middle)."""
    blue = drawn(DAYS[:4], [0.0, 5.0, 0.0, 5.0], is_time=False)
    assert blue(1, 2.5) and blue(3, 4.5)
    assert not blue(1.5, 2.5) and not blue(0, 2.5)


@needs_matplotlib
def test_the_bar_still_running_is_paler() -> None:
    """This hour's count is not final: its bar must not read as a whole hour."""
    blue = drawn(HOURS[:4], [2.0, 5.0, 3.0, 6.0], is_time=False, running=3)
    assert blue(1, 2.5) and not blue(3, 3)


@needs_matplotlib
def test_times_are_a_line_that_breaks_at_gaps() -> None:
    """A day without data is no point at 0:00 and no line through it; a value between two gaps still shows."""
    blue = drawn(DAYS[:5], [60.0, None, 60.0, None, 90.0], is_time=True)
    assert blue(0, 60) and blue(2, 60) and blue(4, 90)
    assert not blue(1, 0.5) and not blue(0.5, 60) and not blue(0.5, 30) and not blue(3, 75)
    joined = drawn(DAYS[:3], [60.0, 90.0, 60.0], is_time=True)
    assert joined(0.5, 75)  # where there is no gap, the line runs on


@needs_matplotlib
def test_titles_with_dollar_signs_are_not_read_as_tex() -> None:
    png = render_chart("Sales $ EMEA $", ["9 Mar"], [1.0], is_time=False, subtitle="$x^2$ and a lone $")
    assert png_size(png) == (800, 400)


@needs_matplotlib
@pytest.mark.parametrize(("width", "height"), [(200, 150), (400, 200), (800, 400)])
def test_long_titles_and_big_numbers_fit_without_layout_warnings(width: int, height: int) -> None:
    """pytest turns warnings into errors here, so a "Tight layout not applied" would fail the test."""
    png = render_chart(
        "Average of First Response Time for the Sales department in EMEA " * 3,
        ["9 Mar", "10 Mar", "11 Mar"],
        [1e6, 3e6, 2e6],
        is_time=False,
        subtitle="Mon 9 – Wed 11 Mar 2026, Europe/Berlin " * 5,
        width_px=width,
        height_px=height,
    )
    assert png_size(png) == (width, height)


@needs_matplotlib
def test_rejects_mismatched_series_and_silly_sizes() -> None:
    with pytest.raises(ValueError, match="2 labels for 1 points"):
        render_chart("t", ["9 Mar", "10 Mar"], [1.0], is_time=False)
    for width, height in ((199, 400), (800, 149), (4001, 400)):
        with pytest.raises(ValueError, match="pixels"):
            render_chart("t", ["9 Mar"], [1.0], is_time=False, width_px=width, height_px=height)


@needs_matplotlib
def test_concurrent_renders_on_threads_match_a_serial_render() -> None:
    """No shared pyplot state: charts drawn at the same time on worker threads come out as if drawn alone."""
    series = [(f"chart {i}", [float((d * (i + 1)) % 11) for d in range(30)]) for i in range(6)]
    serial = [render_chart(title, DAYS[:30], points, is_time=i % 2 == 0) for i, (title, points) in enumerate(series)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [
            pool.submit(render_chart, title, DAYS[:30], points, is_time=i % 2 == 0)
            for i, (title, points) in enumerate(series)
        ]
        parallel = [f.result() for f in futures]
    assert parallel == serial


@needs_matplotlib
def test_the_async_wrapper_draws_on_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    original = charts.render_chart

    def spy(*args: object, **kwargs: object) -> bytes:
        threads.append(threading.current_thread())
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(charts, "render_chart", spy)
    png = asyncio.run(render_chart_async("Total_messages", HOURS, [1.0] * 24, is_time=False, width_px=640))
    assert png_size(png) == (640, 400)
    assert threads and threads[0] is not threading.main_thread()


@pytest.mark.parametrize(
    ("count", "longest", "width", "step"),
    [(1, 4, 800, 1), (7, 4, 800, 1), (24, 4, 800, 2), (90, 5, 800, 7), (90, 5, 1600, 4), (24, 4, 400, 3)],
)
def test_tick_labels_are_thinned_to_fit(count: int, longest: int, width: int, step: int) -> None:
    assert charts._thin(count, longest, width) == step


@pytest.mark.parametrize(
    ("top", "step"), [(5, 1), (45, 10), (60, 10), (130, 30), (301, 60), (3000, 600), (9000, 1800), (10**6, 172800)]
)
def test_time_axis_steps_are_round_clock_readings(top: float, step: float) -> None:
    assert charts._time_step(top) == step


def test_dollars_are_escaped_for_matplotlib() -> None:
    assert charts._tex_safe("$5 and $x$") == r"\$5 and \$x\$"


@needs_matplotlib
@pytest.mark.parametrize("text", ["W" * 200, "i" * 200, "Total Conversations", "Sales\nEMEA  $ 5 $"])
def test_headings_are_measured_and_cut_to_fit(text: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 2), dpi=100)
    FigureCanvasAgg(fig)
    charts._heading(fig, 0.1, 12, text, 300, fontsize=12, fontweight="bold")
    (artist,) = fig.texts
    shown = artist.get_text()
    assert artist.get_window_extent(fig.canvas.get_renderer()).width <= 300
    assert "\n" not in shown
    if len(text) == 200:
        assert shown.endswith("…") and 10 < len(shown) < 60
    else:
        assert shown == charts._tex_safe(" ".join(text.split()))


def test_looking_for_the_extra_does_not_import_it_and_warm_up_imports_it_on_a_chart_thread() -> None:
    result = run_python(
        """
        import asyncio, sys, threading
        importers = []

        class Spy:  # sees every import of a matplotlib submodule, on whatever thread it happens
            def find_spec(self, name, path=None, target=None):
                if name.startswith("matplotlib."):
                    importers.append(threading.current_thread().name)
                return None

        sys.meta_path.insert(0, Spy())
        from bot.replies import pictures
        assert pictures.charts_available() is True
        assert "matplotlib" not in sys.modules, "charts_available imported it"
        assert sys.getswitchinterval() == 0.005  # the interpreter's default, while no chart thread exists
        assert asyncio.run(pictures.warm_up()) is True
        assert "matplotlib.figure" in sys.modules
        assert sys.getswitchinterval() <= 0.001, "a drawing thread would keep the event loop waiting 5 ms"
        assert importers and all(name.startswith("chart") for name in importers), importers
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_warm_up_without_the_extra_says_so() -> None:
    result = run_python(
        """
        import asyncio, sys
        sys.modules["matplotlib"] = None
        from bot.replies.pictures import warm_up
        print(asyncio.run(warm_up()))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_renders_run_on_a_bounded_number_of_chart_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    lock = threading.Lock()
    running: list[int] = [0]
    peak: list[int] = [0]
    threads: set[str] = set()
    full = threading.Event()  # set once RENDERERS renders run at the same time

    def render(*args: object, **kwargs: object) -> bytes:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            threads.add(threading.current_thread().name)
            if running[0] == charts.RENDERERS:
                full.set()
        full.wait(timeout=10)
        with lock:
            running[0] -= 1
        return PNG_SIGNATURE

    monkeypatch.setattr(charts, "render_chart", render)

    async def many() -> list[bytes]:
        return await asyncio.gather(*(render_chart_async("t", ["9 Mar"], [1.0], is_time=False) for _ in range(6)))

    assert asyncio.run(many()) == [PNG_SIGNATURE] * 6
    assert peak[0] == charts.RENDERERS
    assert len(threads) <= charts.RENDERERS and all(name.startswith("chart") for name in threads)
