"""Watching the alerts: one pass reads each figure once, steps every alert's pure state machine, and turns its
decision into exactly-once messages.

- **One poll per figure per interval**: alerts are grouped by department and each group reads one `!now`
  snapshot through the shared analytics layer (`live_for`), so 50 alerts on the queue make one queue request
  per pass — and `!now` asked at the same moment shares it too.
- **Exactly once** (state file, `bot.state.incidents`): an incident is recorded `opening` before its message is
  sent with an id derived from (alert, incident start); a crash or a lost socket is repaired on the next pass
  by sending again with the same id (the server drops a repeat). A resolution is recorded `resolving` before
  its thread reply (also a derived id) and the edit of the original. The database allows one live incident per
  alert, so a second runner or a racing pass cannot open another.
- **Gaps**: when the last evaluation is older than a few intervals the bot was not watching; an incident it
  opens or resolves then says so, and from when.
- Between passes it sleeps in bounded steps on the injected sleep, and stops promptly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.alerts import render
from bot.alerts.core import Condition, Decision, Live, Reading, Watch, step
from bot.alerts.hours import business_hours_open
from bot.analytics.live import AVAILABLE, Agents, Queue, Snapshot, Today, live_for
from bot.analytics.service import AnalyticsService, Department
from bot.errors import BotError, TransportError
from bot.rocketchat.ids import reply_id
from bot.rocketchat.models import MessageSender
from bot.state.incidents import OPEN, OPENING, RESOLVED, RESOLVING, AlertRecord, IncidentRecord
from bot.state.store import State

__all__ = ["AlertRunner", "Editor", "condition_of", "incident_message_id", "reading_of"]

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class Editor(MessageSender, Protocol):
    async def update_message(self, rid: str, msg_id: str, text: str) -> Any: ...


def incident_message_id(alert_id: int, started: datetime) -> str:
    """The incident message's `_id`: the same (alert, start) always gives the same id, so a repeat is dropped."""
    return reply_id(f"alert/{alert_id}/{started.isoformat()}")


def condition_of(alert: AlertRecord) -> Condition:
    return Condition(**alert.condition)


def reading_of(condition: Condition, snapshot: Snapshot | None, in_hours: bool | None) -> Reading:
    """The alert's figure in `snapshot`; None (change nothing) when the server did not give it."""
    if snapshot is None or in_hours is None:
        return Reading(None)
    value: float | None = None
    since = None
    figure, queue, today = condition.figure, snapshot.queue, snapshot.today
    if figure == "queue" and isinstance(queue, Queue):
        value = queue.waiting
    elif figure == "wait" and isinstance(queue, Queue):
        value = (snapshot.now - queue.oldest).total_seconds() if queue.oldest else 0.0
        if queue.oldest is not None and condition.breached(value):
            since = queue.oldest + timedelta(seconds=condition.threshold)  # the moment the wait passed it
    elif figure == "available" and isinstance(snapshot.agents, Agents):
        value = snapshot.agents.counts.get(AVAILABLE, 0)
    elif figure == "first_response" and isinstance(today, Today):
        value = today.first_response or 0.0
    elif figure == "abandoned" and isinstance(today, Today):
        value = today.abandoned_share or 0.0
    return Reading(value, in_hours, since)


class AlertRunner:
    def __init__(
        self,
        state: State,
        analytics: AnalyticsService,
        poster: Editor,
        *,
        clock: Clock,
        tz: str,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        interval: float = 30.0,
        gap_after: float | None = None,
        on_pass: Callable[[list[tuple[int, str]]], None] | None = None,
    ) -> None:
        self.state = state
        self.analytics = analytics
        self.poster = poster
        self.clock = clock
        self.zone = ZoneInfo(tz)
        self.sleep = sleep
        self.interval = interval
        self.gap_after = timedelta(seconds=gap_after if gap_after is not None else 3 * interval)
        self.on_pass = on_pass
        self._stop = asyncio.Event()
        self._pass = asyncio.Lock()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                outcomes = await self.tick()
                if self.on_pass is not None:
                    self.on_pass(outcomes)
            except BotError as exc:
                log.error("alert pass failed: %s", exc)
            sleeper = asyncio.ensure_future(self.sleep(self.interval))
            stopper = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in (sleeper, stopper):
                task.cancel()

    # --- reading -----------------------------------------------------------------------------------------

    async def _department(self, name: str | None) -> Department | None:
        return None if name is None else await self.analytics.department(name)

    async def snapshots(self, conditions: list[Condition]) -> dict[str | None, Snapshot | None]:
        """One snapshot per department watched (None where it could not be read: those alerts wait)."""
        live = live_for(self.analytics)

        async def one(name: str | None) -> Snapshot | None:
            try:
                return await live.snapshot(await self._department(name))
            except BotError as exc:
                log.warning("alerts on %s not evaluated: %s", name or "all departments", exc)
                return None

        names = sorted({c.department for c in conditions}, key=lambda n: n or "")
        found = await asyncio.gather(*(one(n) for n in names))
        return dict(zip(names, found, strict=True))

    async def in_hours(self, now: datetime) -> bool | None:
        """Whether the default business hour is open now; None when it cannot be read (nothing changes then)."""
        live = live_for(self.analytics)
        try:
            read = await self.analytics.source.read(
                ("alerts", "business-hour"), lambda: live.api.get_object("livechat/business-hour"), age=60.0
            )
        except BotError as exc:
            log.warning("business hours not readable, alerts that respect them wait: %s", exc)
            return None
        return business_hours_open(read.value, now)

    # --- one pass ----------------------------------------------------------------------------------------

    async def tick(self) -> list[tuple[int, str]]:
        """One pass over every alert; returns (alert id, what was done) for each that did something."""
        async with self._pass:
            alerts = [a for a in await asyncio.to_thread(self.state.alerts) if not a.paused]
            if not alerts:
                return []
            conditions = {a.id: condition_of(a) for a in alerts}
            snapshots = await self.snapshots(list(conditions.values()))
            now = self.clock()
            hours = await self.in_hours(now) if any(c.business_hours for c in conditions.values()) else True
            done: list[tuple[int, str]] = []
            for alert in alerts:
                condition = conditions[alert.id]
                snapshot = snapshots.get(condition.department)
                reading = reading_of(condition, snapshot, hours if condition.business_hours else True)
                try:
                    action = await self._evaluate(alert, condition, reading, snapshot, now)
                except TransportError as exc:
                    log.warning("alert %d: %s; the next pass repeats it with the same ids", alert.id, exc)
                    action = "failed"
                if action:
                    done.append((alert.id, action))
            return done

    async def _evaluate(
        self, alert: AlertRecord, condition: Condition, reading: Reading, snapshot: Snapshot | None, now: datetime
    ) -> str | None:
        incident = await asyncio.to_thread(self.state.live_incident, alert.id)
        repaired = None
        if incident is not None and incident.status == OPENING:
            await self._send_opening(alert, incident)
            repaired = "repaired"
        elif incident is not None and incident.status == RESOLVING:
            await self._finish_resolution(alert, condition, incident)
            incident, repaired = None, "repaired"
        watch = Watch(alert.breach_since, _live(incident))
        muted = alert.muted_until is not None and alert.muted_until > now
        decision = step(condition, watch, reading, now, muted=muted)
        unwatched = alert.checked_at if alert.checked_at and now - alert.checked_at > self.gap_after else None
        if reading.value is not None:
            await asyncio.to_thread(
                self.state.update_alert, alert.id, breach_since=decision.watch.breach_since, checked_at=now
            )
        context = render.Context.of(snapshot)
        if decision.action == "open":
            return await self._open(alert, condition, decision, context, now, unwatched)
        if incident is None or decision.action is None:
            return repaired
        if decision.action == "resolve":
            await asyncio.to_thread(
                self.state.change_incident,
                alert.id,
                incident.started_at,
                status=RESOLVING,
                resolved_at=now,
                reason=decision.reason + (f"|unwatched:{unwatched.isoformat()}" if unwatched else ""),
                value=reading.value,
            )
            fresh = await asyncio.to_thread(self.state.live_incident, alert.id)
            if fresh is not None:
                await self._finish_resolution(alert, condition, fresh)
            return "resolve"
        return await self._update(alert, condition, incident, decision, context, now)

    async def _open(
        self,
        alert: AlertRecord,
        condition: Condition,
        decision: Decision,
        context: render.Context,
        now: datetime,
        unwatched: datetime | None,
    ) -> str | None:
        live = decision.watch.live
        assert live is not None
        text = self._incident_text(alert, condition, decision, context, now, unwatched)
        message_id = incident_message_id(alert.id, live.started)
        incident = IncidentRecord(
            alert.id, live.started, message_id, OPENING, now, live.value, live.peak, now, text=text
        )
        if not await asyncio.to_thread(self.state.begin_incident, incident):
            return None  # another pass or runner opened it first
        await self._send_opening(alert, incident)
        return "open"

    def _incident_text(
        self,
        alert: AlertRecord,
        condition: Condition,
        decision: Decision,
        context: render.Context,
        now: datetime,
        unwatched: datetime | None,
    ) -> str:
        """The incident message as it reads at `now`: the same text opens it and each edit refreshes it."""
        live = decision.watch.live
        assert live is not None
        return render.open_text(
            alert.id,
            condition,
            started=live.started,
            now=now,
            value=live.value,
            peak=live.peak,
            context=context,
            zone=self.zone,
            notify=alert.notify,
            unwatched_since=unwatched if unwatched and live.started >= unwatched else None,
        )

    async def _send_opening(self, alert: AlertRecord, incident: IncidentRecord) -> None:
        await self.poster.send_message(alert.room_id, incident.text or "", msg_id=incident.message_id)
        await asyncio.to_thread(self.state.change_incident, alert.id, incident.started_at, status=OPEN)

    async def _update(
        self,
        alert: AlertRecord,
        condition: Condition,
        incident: IncidentRecord,
        decision: Decision,
        context: render.Context,
        now: datetime,
    ) -> str | None:
        live = decision.watch.live
        assert live is not None
        text = self._incident_text(alert, condition, decision, context, now, None)
        done = None
        if decision.action == "remind":
            number = incident.reminders + 1
            reminder = render.remind_text(
                condition, started=live.started, now=now, value=live.value, notify=alert.notify
            )
            await self.poster.send_message(
                alert.room_id,
                reminder,
                msg_id=reply_id(f"{incident.message_id}/remind/{number}"),
                tmid=incident.message_id,
            )
            await asyncio.to_thread(
                self.state.change_incident, alert.id, incident.started_at, reminders=number, notified_at=now
            )
            done = "remind"
        if text != incident.text:
            await self.poster.update_message(alert.room_id, incident.message_id, text)
            done = done or "update"
        await asyncio.to_thread(
            self.state.change_incident, alert.id, incident.started_at, value=live.value, peak=live.peak, text=text
        )
        return done

    async def _finish_resolution(self, alert: AlertRecord, condition: Condition, incident: IncidentRecord) -> None:
        ended = incident.resolved_at or self.clock()
        reason, _, unwatched_text = (incident.reason or "recovered").partition("|unwatched:")
        unwatched = datetime.fromisoformat(unwatched_text) if unwatched_text else None
        reply = render.resolved_reply(
            condition,
            started=incident.started_at,
            ended=ended,
            value=incident.value,
            reason=reason,
            zone=self.zone,
            unwatched_since=unwatched,
        )
        await self.poster.send_message(
            alert.room_id, reply, msg_id=reply_id(f"{incident.message_id}/resolved"), tmid=incident.message_id
        )
        original = render.resolved_text(
            alert.id, condition, started=incident.started_at, ended=ended, peak=incident.peak, zone=self.zone
        )
        await self.poster.update_message(alert.room_id, incident.message_id, original)
        await asyncio.to_thread(self.state.change_incident, alert.id, incident.started_at, status=RESOLVED)

    async def close(self, alert: AlertRecord, now: datetime) -> bool:
        """Resolve the alert's live incident because the alert is being removed (before it is deleted)."""
        incident = await asyncio.to_thread(self.state.live_incident, alert.id)
        if incident is None:
            return False
        await asyncio.to_thread(
            self.state.change_incident,
            alert.id,
            incident.started_at,
            status=RESOLVING,
            resolved_at=now,
            reason="removed",
        )
        fresh = await asyncio.to_thread(self.state.live_incident, alert.id)
        if fresh is not None:
            await self._finish_resolution(alert, condition_of(alert), fresh)
        return True

    async def preview(self, alert: AlertRecord) -> str:
        """What the alert would post now, without recording or posting anything (`!alert test`)."""
        condition = condition_of(alert)
        snapshot = (await self.snapshots([condition])).get(condition.department)
        now = self.clock()
        hours = await self.in_hours(now) if condition.business_hours else True
        reading = reading_of(condition, snapshot, hours)
        if reading.value is None:
            why = "business hours could not be read" if hours is None else "the figure is not available right now"
            return f"_Alert {alert.id} cannot be evaluated now: {why} (`!now` shows what the server gives)._"
        started = reading.since or now
        text = render.open_text(
            alert.id,
            condition,
            started=started,
            now=now,
            value=reading.value,
            peak=reading.value,
            context=render.Context.of(snapshot),
            zone=self.zone,
        )
        state = "breached" if condition.breached(reading.value) else "not breached"
        if condition.business_hours and not hours:
            state = "outside business hours: it would not fire"
        intro = f"_Test of alert {alert.id}, {state} now; when it fires the message reads (nobody is mentioned here):_"
        return f"{intro}\n{text}"


def _live(incident: IncidentRecord | None) -> Live | None:
    if incident is None or incident.status not in (OPEN, OPENING):
        return None
    return Live(incident.started_at, incident.notified_at, incident.value, incident.peak)
