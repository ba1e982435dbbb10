"""Issue 9's fault-injection harness (bench/chaos.py) at a small size: every command answered exactly once.

The real bot runs as a subprocess against an in-process sandbox on port 0 while managers keep posting
commands and chatter in ten rooms; meanwhile the sandbox drops every WebSocket, restarts, the bot is
SIGKILLed and started again with the same state file, and the analytics answer 429s and 503s and slow down.
Outcomes are awaited as sandbox store events and process exits, each with a bounded timeout; the harness
sleeps only to pace the traffic and the fault schedule. Full size: `.venv/bin/python bench/chaos.py`.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path

import pytest

from bench.chaos import Plan, fault_schedule, run_chaos

SMALL = Plan(
    commands=60,
    rate=6.0,
    users=5,
    rooms=10,
    drops=3,
    restarts=1,
    downtime=0.5,
    kills=2,
    too_many=4,
    unavailable=4,
    burst=2,
    retry_after_ms=500,
    slow_delay=1.0,
    slow_for=2.0,
    settle=20.0,
    days=14,
)


@pytest.mark.anyio
async def test_every_command_is_answered_exactly_once_through_drops_restarts_kills_and_bursts(tmp_path: Path) -> None:
    outcome = await run_chaos(SMALL, workdir=tmp_path)
    summary = "\n".join(outcome.lines())
    assert outcome.bot_runs == 1 + SMALL.kills + len(outcome.bot_exits), summary
    assert len(outcome.commands) == SMALL.commands, summary
    assert outcome.served == {"429": SMALL.too_many, "503": SMALL.unavailable}, summary
    assert outcome.lost == [], summary
    assert outcome.duplicated == 0, summary
    assert outcome.apologies == [], summary


def test_the_full_size_schedule_spreads_every_fault_inside_the_traffic() -> None:
    plan = Plan()
    faults = fault_schedule(plan, random.Random(plan.seed))
    kinds = Counter(f.kind for f in faults)
    assert kinds == {"drop": 20, "restart": 1, "kill": 5, "429": 5, "503": 5, "slow": 1}
    assert sum(f.size for f in faults if f.kind == "429") == plan.too_many
    # every fault, restarts with their downtime included, is over well before people stop posting
    assert all(f.at > 0 and f.at + plan.downtime + 2 <= plan.duration for f in faults if f.kind != "slow")
    slow = next(f for f in faults if f.kind == "slow")
    assert slow.at + plan.slow_for < plan.duration
    heavy = [f.at for f in faults if f.kind in ("restart", "kill")]
    assert min(b - a for a, b in itertools.pairwise(heavy)) > 3 * plan.duration / len(faults)
