"""A plain question to the command that answers it, or a question back, or a plain "I can't answer that".

`understand` is pure: the departments and agents are arguments, dates are read against the `now` given, and
nothing is fetched or remembered. It decides in a fixed order, most specific first: the future, help and
greetings, alerts, digests, exports, topics the analytics do not cover, the live view (`!now`), the list of
departments, rankings of agents, charts, single figures, and finally overviews. Where a reading would have
to pick between commands that answer differently (fastest by which time?), it asks, with at most three
numbered choices; where too much of the question is unknown (confidence under `THRESHOLD`), it answers what
it can answer instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.dates.grammar import previous_period
from bot.understanding import targets as t
from bot.understanding import vocabulary as v
from bot.understanding.names import Agent, similar_departments
from bot.understanding.signals import Signals, read_signals
from bot.understanding.text import sentence
from bot.understanding.when import DateOptions

THRESHOLD = 0.6  # below this the reading is offered as a suggestion, not run
MAX_TEXT, MAX_TOKENS = 400, 40  # a question is a sentence; longer text is not read (each word costs date lookups)
UNKNOWN_WORD_COST = 0.5  # a word nothing explains: the reading is suggested, not run


@dataclass(frozen=True)
class Context:
    dates: DateOptions
    departments: tuple[str, ...] = ()
    agents: tuple[Agent, ...] = ()


@dataclass(frozen=True)
class Choice:
    label: str  # what the choice means, in words ("first response time")
    command: str  # the command it runs, without the prefix


@dataclass(frozen=True)
class Understood:
    command: str  # without the prefix, e.g. "overview conversations last week dept=Sales"
    confidence: float = 1.0


@dataclass(frozen=True)
class Ambiguous:
    choices: tuple[Choice, ...]  # two or three
    note: str | None = None  # why it asks, when that is not obvious from the choices


@dataclass(frozen=True)
class Unanswerable:
    topic: str  # a key of targets.TOPICS, or "unknown", "unsure", "unknown department", "several departments", ...
    unclear: tuple[str, ...] = ()  # words it did not understand, as typed
    suggestion: str | None = None  # the closest command it can run, without the prefix (never run unasked)
    options: tuple[str, ...] = field(default=())  # e.g. the departments there are


Outcome = Understood | Ambiguous | Unanswerable


def understand(text: str, context: Context) -> Outcome:
    """The reading of one question (module docstring)."""
    if len(text) > MAX_TEXT:
        return Unanswerable("too long")
    said = sentence(text)
    if not said.tokens and not said.options:
        return Unanswerable("empty")
    if len(said.tokens) > MAX_TOKENS:
        return Unanswerable("too long")
    s = read_signals(said, context.dates, context.departments, context.agents)
    outcome = _decide(s)
    if isinstance(outcome, Understood):
        return _checked(outcome, s, context)
    if isinstance(outcome, Unanswerable) and outcome.suggestion and (s.unknown_in_name_slot or s.ambiguous_names):
        return replace(outcome, suggestion=None)  # a suggestion without a name that was asked about misleads
    return outcome


def _checked(reading: Understood, s: Signals, context: Context) -> Outcome:
    """A reading is run only if the question had nothing in it that the reading would silently drop."""
    if s.unread_date:
        return Unanswerable("unread date", (s.unread_date,))
    if s.ambiguous_names:
        first = s.ambiguous_names[0]
        return Ambiguous(
            tuple(Choice(m.name, _with_name(reading.command, m.kind, m.name, s)) for m in first),
            note="I know several names like that",
        )
    if s.unknown_in_name_slot:
        word = s.unknown_in_name_slot[0]
        close = similar_departments(word, context.departments)
        if len(close) >= 2:
            return Ambiguous(tuple(Choice(d, _with_name(reading.command, "department", d, s)) for d in close[:3]))
        if close:
            suggestion = _with_name(reading.command, "department", close[0], s)
            return Unanswerable("unknown department", (word,), suggestion, tuple(context.departments))
        return Unanswerable("unknown department", (word,), None, tuple(context.departments))
    confidence = max(0.0, 1.0 - UNKNOWN_WORD_COST * len(s.unknown)) * s.name_score
    if confidence < THRESHOLD:
        return Unanswerable("unsure", tuple(s.unknown), reading.command)
    return replace(reading, confidence=confidence)


def _with_name(command: str, kind: str, name: str, s: Signals) -> str:
    """The reading again, with one more department (an agent's name changes nothing in an agents table)."""
    if kind != "department" or name in s.departments:
        return command
    words = command.split(" dept=")[0]
    return t.shown_as_is(f"{words} dept={t.option_value(','.join([*s.departments, name]))}")


def _decide(s: Signals) -> Outcome:
    """Several departments (other than for a digest, which covers several): one reading per department to
    choose from, as every other command shows one department at a time."""
    if len(s.departments) < 2 or s.digest:
        return _decide_one(s)
    readings = [_decide_one(replace(s, departments=[d])) for d in s.departments[:3]]
    if all(isinstance(r, Understood) for r in readings):
        pairs = zip(s.departments[:3], readings, strict=True)
        choices = tuple(Choice(d, r.command) for d, r in pairs if isinstance(r, Understood))
        return Ambiguous(choices, note="I show one department at a time")
    first = readings[0]
    if isinstance(first, Unanswerable) and all(
        isinstance(r, Unanswerable) and r.topic == first.topic for r in readings
    ):
        return replace(first, suggestion=None)  # the same answer for each; a suggestion would name only one
    return Unanswerable("several departments", options=tuple(s.departments))


def _decide_one(s: Signals) -> Outcome:
    for step in (_future, _help, _alert, _digest, _export, _topic, _now, _departments):
        outcome = step(s)
        if outcome is not None:
            return outcome
    rng, compared = _range(s)
    if compared is not None:
        return compared
    slots = t.Slots(range=rng, departments=tuple(s.departments))
    for step2 in (_agents, _chart, _figure, _overview):
        outcome = step2(s, slots)
        if outcome is not None:
            return outcome
    if s.cues & {"greeting", "thanks"} and not s.unknown:
        return Unanswerable("greeting")
    return Unanswerable("unknown", tuple(s.unknown + s.unknown_in_name_slot))


# --- the steps, most specific first ----------------------------------------------------------------------


def _future(s: Signals) -> Outcome | None:
    return Unanswerable("future") if "future" in s.topics else None


def _help(s: Signals) -> Outcome | None:
    if "help" in s.cues and not (s.metrics or s.dates or s.departments or s.topics or s.digest):
        return Understood(t.render("help", t.Slots()))
    return None


def _alert(s: Signals) -> Outcome | None:
    return Unanswerable("alert") if "alert" in s.cues else None


def _digest(s: Signals) -> Outcome | None:
    if not s.digest:
        return None
    after = [d for d in s.dates if d.range is not None]
    slots = t.Slots(
        days=s.days,
        departments=tuple(s.departments),
        digest_range=after[0].text if after and after[0].text != "yesterday" else None,
    )
    if s.time.text:
        return Understood(t.render("digest", replace(slots, time=s.time.text)))
    if s.time.hour is not None:  # "at 5": five in the morning or in the evening?
        times = _either_half_of_the_day(s.time.hour)
        return Ambiguous(
            tuple(Choice(f"{at} ({half})", t.render("digest", replace(slots, time=at))) for at, half in times)
        )
    return Unanswerable("digest time", suggestion=t.render("digest", replace(slots, time="09:00")))


def _either_half_of_the_day(hour: int) -> tuple[tuple[str, str], tuple[str, str]]:
    if hour == 12:
        return ("12:00", "noon"), ("00:00", "midnight")
    return (f"{hour:02d}:00", "morning"), (f"{hour + 12:02d}:00", "evening")


def _export(s: Signals) -> Outcome | None:
    """Conversations (one agent's, with `agent=`), an agent table or a chart's series, as a file; without a
    period, the export command's own default."""
    if "export" not in s.cues or "now" in s.cues:
        return None
    slots = t.Slots(
        range=s.dates[0].text if s.dates else None,
        departments=tuple(s.departments),
        format="xlsx" if "xlsx" in s.cues else None,
    )
    kind = "export agents" if "agents" in s.cues or s.ranks else "export chart" if "chart" in s.cues else None
    if kind is None:
        return Understood(t.render("export", replace(slots, agent=s.agents[0] if s.agents else None)))
    named = _named_metrics(s)
    if len(named) == 1:
        return Understood(t.render(kind, replace(slots, metric=named[0])))
    return _pick_metric(kind, named[:3] or list(t.SPEED_CHOICES if v.SPEED in s.metrics else t.ANY_CHOICES), slots)


def _named_metrics(s: Signals) -> list[str]:
    """The charts a question names ("busiest" is the conversations chart; "how fast" names none)."""
    return list(dict.fromkeys(t.AS_CHART.get(m, m) for m in s.metrics if m != v.SPEED))


def _topic(s: Signals) -> Outcome | None:
    if not s.topics:
        return None
    topic = s.topics[0]
    closest = t.TOPICS.get(topic, ("", None))[1]
    suggestion = None
    if closest is not None:
        rng = "today" if topic == "part of a day" else (s.dates[0].text if s.dates else None)
        words = closest.split()
        if words[0] == "overview":
            sections = {t.FIGURE[m][1] for m in s.metrics} - {None}
            section = " ".join(words[1:]) or (sections.pop() if len(sections) == 1 else None)
            suggestion = t.render("overview", t.Slots(section=section, range=rng, departments=tuple(s.departments)))
        else:
            suggestion = closest
    return Unanswerable(topic, suggestion=suggestion)


def _now(s: Signals) -> Outcome | None:
    if "now" not in s.cues:
        return None
    past = [d for d in s.dates if d.range is None or d.range.label != "today"]
    if past:
        if s.metrics:
            return None  # "how long were customers waiting last week": a figure, read below
        return Unanswerable("history of now", suggestion=t.render("now", t.Slots(departments=tuple(s.departments))))
    return Understood(t.render("now", t.Slots(departments=tuple(s.departments))))


def _departments(s: Signals) -> Outcome | None:
    if "departments" not in s.cues:
        return None
    if s.ranks or s.metric_set - {v.SPEED}:
        if not s.departments and not s.agents and "agents" not in s.cues:
            return Unanswerable("departments ranking", suggestion="departments")
        return None
    alone = not (s.metrics or s.cues - {"departments", "list"} or s.unknown or s.unknown_in_name_slot)
    if ("list" in s.cues or alone) and not (s.dates or s.departments):
        return Understood(t.render("departments", t.Slots()))
    return None


def _range(s: Signals) -> tuple[str | None, Ambiguous | None]:
    """The range of the question: none, one, or a comparison of two, which the overview makes itself when the
    second period is the one before the first ("this week with last week")."""
    if not s.dates:
        return None, None
    if len(s.dates) == 1:
        return s.dates[0].text, None
    first, second = s.dates[0], s.dates[1]
    if first.range is not None and second.range is not None:
        for later, earlier in ((first, second), (second, first)):
            assert later.range is not None and earlier.range is not None
            if previous_period(later.range).start == earlier.range.start and later.range.start > earlier.range.start:
                return later.text, None
    slots = t.Slots(departments=tuple(s.departments))
    note = "I compare a period with the one just before it" if "compare" in s.cues else None
    choices = tuple(Choice(d.text, t.render("overview", replace(slots, range=d.text))) for d in (first, second))
    return None, Ambiguous(choices, note=note)


def _agents(s: Signals, slots: t.Slots) -> Outcome | None:
    if not (s.agents or "agents" in s.cues or ("who" in s.cues and (s.ranks or s.metrics))):
        return None
    if not (s.metrics or s.ranks or s.dates or s.agents) and s.cues & {"count", "list"}:
        return Understood(t.render("now", replace(slots, range=None)))  # "which agents are in Sales": who is on
    charts = [m for m in _named_metrics(s) if not _counted_only_as_object(s, m)]
    if len(charts) == 1:
        return Understood(t.render("agents", replace(slots, metric=charts[0])))
    if len(charts) > 1:
        return _pick_metric("agents", charts[:3], slots)
    if s.ranks & {"fast", "slow"} or v.SPEED in s.metrics:
        return _pick_metric("agents", list(t.SPEED_CHOICES), slots)
    if s.ranks & {"most", "least"}:
        return Understood(t.render("agents", replace(slots, metric=v.CONVERSATIONS)))
    return _pick_metric("agents", list(t.ANY_CHOICES), slots)


def _chart(s: Signals, slots: t.Slots) -> Outcome | None:
    if "chart" not in s.cues:
        return None
    charts = [m for m in _named_metrics(s) if not _counted_only_as_object(s, m)]
    if len(charts) == 1:
        return Understood(t.render("chart", replace(slots, metric=charts[0])))
    if charts:
        return _pick_metric("chart", charts[:3], slots)
    return _pick_metric("chart", list(t.SPEED_CHOICES if v.SPEED in s.metrics else t.ANY_CHOICES), slots)


def _pick_metric(kind: str, metrics: Sequence[str], slots: t.Slots) -> Ambiguous:
    return Ambiguous(tuple(Choice(v.SPOKEN[m], t.render(kind, replace(slots, metric=m))) for m in metrics))


def _counted_only_as_object(s: Signals, metric: str) -> bool:
    """ "how fast do we answer chats", "who answers chats fastest": the chats are what is timed, not a figure
    asked for ("who answered the most chats" counts them)."""
    timed = v.SPEED in s.metrics or bool(s.ranks & {"fast", "slow"})
    counted = "count" in s.cues or bool(s.ranks & {"most", "least"})
    return metric == v.CONVERSATIONS and timed and not counted


def _figure(s: Signals, slots: t.Slots) -> Outcome | None:
    metrics = [m for m in s.metrics if not _counted_only_as_object(s, m)]
    if not metrics:
        return None
    targets = {t.FIGURE[m] for m in metrics if not (m == v.SPEED and len(metrics) > 1)}
    charts = sorted(m for m in metrics if t.FIGURE[m][0] == "chart")
    if charts and len(targets) == 1:
        return Understood(t.render("chart", replace(slots, metric=charts[0])))
    if charts:  # a chart-only figure and others: the chart for it, or the overview for the rest
        chart = Choice(v.SPOKEN[charts[0]], t.render("chart", replace(slots, metric=charts[0])))
        return Ambiguous((chart, Choice("overview", t.render("overview", slots))))
    sections = {section for _, section in targets}
    section = sections.pop() if len(sections) == 1 else None
    return Understood(t.render("overview", replace(slots, section=section)))


def _overview(s: Signals, slots: t.Slots) -> Outcome | None:
    if s.cues & {"overview", "compare", "count"} or s.dates or s.departments:
        if "count" in s.cues and not (s.dates or s.departments or s.cues & {"overview", "compare"}):
            return None  # "how many" of something unknown
        return Understood(t.render("overview", slots))
    return None
