"""The demo team's live state: who works when, department links, visitors, agent activity, business hours.

The demo agents keep office hours in DEMO_TIMEZONE: each works weekdays on a shift of eight and a half hours
that starts between 07:30 and 09:30 (fixed per agent), is away for a lunch break, now and then busy, and one
agent a day may be off. `agent_state` says, for any instant, what `status` and `statusLivechat` an agent has;
the static demo sets them for its `now`, and the living workspace (live.py) follows the same schedule minute
by minute, so both agree.

From the generated rooms this module derives what Rocket.Chat would also hold: a visitor per guest (updated
at their last chat), one department link per agent and department, a `taken` inquiry for every open chat, the
agents' activity per day (sessions from shift start to end; today's still open if the shift is running), and
a default business hour (Monday-Friday 08:00-18:00, with the business-hours switch left off as in
Rocket.Chat's defaults). Everything is drawn from `random.Random(f"{seed}:team")`, so the demo's rooms and
messages are unchanged by it.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["agent_state", "shift", "team_sections"]

Doc = dict[str, Any]

SHIFT_STARTS = (time(7, 30), time(8, 0), time(8, 30), time(9, 0), time(9, 30))
SHIFT = timedelta(hours=8, minutes=30)
LUNCH = (time(12, 30), timedelta(minutes=45))


def shift(seed: int, index: int, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """Agent `index`'s working hours on `day` (aware datetimes), or None on weekends and days off."""
    if day.weekday() >= 5:
        return None
    if random.Random(f"{seed}:off:{day.isoformat()}").randrange(12) == index:  # about one day off a fortnight
        return None
    start = datetime.combine(day, SHIFT_STARTS[index % len(SHIFT_STARTS)], zone)
    return start, start + SHIFT


def agent_state(seed: int, index: int, moment: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """(`status`, `statusLivechat`) of demo agent `index` at `moment`."""
    local = moment.astimezone(zone)
    hours = shift(seed, index, local.date(), zone)
    if hours is None or not hours[0] <= local < hours[1]:
        return "offline", "not-available"
    lunch_start = datetime.combine(local.date(), LUNCH[0], zone) + timedelta(minutes=15 * (index % 3))
    if lunch_start <= local < lunch_start + LUNCH[1]:
        return "away", "available"
    block = int(moment.timestamp()) // 1200  # 20-minute blocks: now and then busy for the first five minutes
    busy = random.Random(f"{seed}:busy:{index}:{block}").random() < 0.08
    return ("busy" if busy and (int(moment.timestamp()) % 1200) < 300 else "online"), "available"


def _iso(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def team_sections(
    document: Doc, *, seed: int, now: datetime, zone: ZoneInfo, agents: list[tuple[str, tuple[str, ...]]]
) -> Doc:
    """The Omnichannel collections of the demo, and each agent's status at `now` set on the user documents.
    `agents` lists (username, department ids) in the demo's agent order."""
    users = {u["username"]: u for u in document["users"]}
    for index, (username, _) in enumerate(agents):
        status, service = agent_state(seed, index, now, zone)
        users[username].update({"status": status, "statusConnection": status, "statusLivechat": service})
    links = [
        {"agentId": users[username]["_id"], "departmentId": department["_id"], "order": order}
        for department in document["departments"]
        for order, username in enumerate(name for name, serves in agents if department["_id"] in serves)
    ]
    return {
        "departmentAgents": links,
        "visitors": _visitors(document),
        "inquiries": _inquiries(document),
        "agentActivity": _activity(seed, now, zone, [users[name]["_id"] for name, _ in agents], document),
        "businessHours": [_business_hour(document)],
    }


def _visitors(document: Doc) -> list[Doc]:
    seen: dict[str, Doc] = {}
    for room in document["rooms"]:
        if room.get("t") != "l":
            continue
        v = room["v"]
        seen[v["_id"]] = {
            "_id": v["_id"],
            "username": v["username"],
            "name": room.get("fname", v["username"]),
            "token": v["token"],
            "department": room.get("departmentId"),
            "ts": seen.get(v["_id"], {}).get("ts", room["ts"]),
            "_updatedAt": room["ts"],
            "status": v.get("status", "offline"),
        }
    return list(seen.values())


def _inquiries(document: Doc) -> list[Doc]:
    found = []
    for room in document["rooms"]:
        if room.get("t") == "l" and room.get("open") and "servedBy" in room:
            served = room["servedBy"]
            found.append(
                {
                    "_id": f"inq-{room['_id']}",
                    "rid": room["_id"],
                    "name": room.get("fname", ""),
                    "ts": room["ts"],
                    "status": "taken",
                    "takenAt": served["ts"],
                    "department": room["departmentId"],
                    "defaultAgent": {"agentId": served["_id"], "username": served["username"]},
                    "v": {k: room["v"][k] for k in ("_id", "username", "token")},
                }
            )
    return found


def _activity(seed: int, now: datetime, zone: ZoneInfo, agent_ids: list[str], document: Doc) -> list[Doc]:
    """One document per agent and working day (server days are UTC: shifts never cross UTC midnight here)."""
    first = min(datetime.fromisoformat(str(r["ts"]).replace("Z", "+00:00")) for r in document["rooms"])
    day, last = first.astimezone(zone).date(), now.astimezone(zone).date()
    docs: list[Doc] = []
    while day <= last:
        for index, agent_id in enumerate(agent_ids):
            hours = shift(seed, index, day, zone)
            if hours is None or hours[0] > now:
                continue
            start, end = hours
            doc: Doc = {"agentId": agent_id, "date": int(start.astimezone(ZoneInfo("UTC")).strftime("%Y%m%d"))}
            doc["lastStartedAt"] = _iso(start)
            if end <= now:
                doc |= {"availableTime": SHIFT.total_seconds(), "lastStoppedAt": _iso(end)}
                doc["serviceHistory"] = [{"startedAt": _iso(start), "stoppedAt": _iso(end)}]
            else:
                doc["availableTime"] = 0
            docs.append(doc)
        day += timedelta(days=1)
    return docs


def _business_hour(document: Doc) -> Doc:
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    hours = [{"day": d, "start": "08:00", "finish": "18:00", "open": d not in ("Saturday", "Sunday")} for d in days]
    return {
        "_id": "bh-default",
        "name": "",
        "active": True,
        "type": "default",
        "timezone": {"name": "Europe/Berlin"},
        "workHours": hours,
        "ts": document["users"][0]["createdAt"],
    }
