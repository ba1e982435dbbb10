"""What the words of a question mean: metrics with their synonyms and industry terms, the cues that pick a
command, topics the bot cannot answer, and the words that carry nothing.

Managers say "FRT", "wait", "AHT", "handle time", "backlog", "busiest"; Rocket.Chat says
`Avg_first_response_time` and `Avg_chat_duration`. Each phrase here maps to meanings; the parser matches the
longest phrase first, so "first response time" wins over "response time". Where a term means different things
to different people, the meaning chosen is written next to it, and the same choice as Rocket.Chat's own labels
is preferred: "response time" is the average response time (as `!chart response time` reads it), and "wait" is
the first response time (Rocket.Chat's own "Avg of waiting time" is the mean first response, not queue time).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

# --- meanings ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meaning:
    kind: str  # "metric", "cue", "rank", "topic" (something the bot cannot answer), "stop"
    value: str


CONVERSATIONS = "Total_conversations"
MESSAGES = "Total_messages"
FRT = "Avg_first_response_time"
BEST_FRT = "Best_first_response_time"
ART = "Avg_response_time"
REACTION = "Avg_reaction_time"
DURATION = "Avg_chat_duration"
# Not chart names: figures of the overview's Conversations section, and "how fast" without saying which time.
BUSIEST = "busiest"
OPEN = "open"
SPEED = "speed"

# (kind, value, phrases): phrases are separated by commas; one ending in "+" also matches with a final "s".
_TABLE: tuple[tuple[str, str, str], ...] = (
    ("metric", CONVERSATIONS,
     "chat+, conversation+, convo+, livechat+, session+, contact+, interaction+, volume, traffic, "
     "total conversation+, total chat+, number of chat+, number of conversation+, incoming chat+, inbound chat+, "
     "how many customers, how many visitors, ticket+, how busy, request+, inquiry, inquiries"),
    ("metric", MESSAGES, "message+, msg+, total message+, message volume"),
    ("metric", FRT,
     "frt, first response+, first response time+, first reply, first replies, first reply time+, "
     "time to first response, time to first reply, initial response+, first answer+, wait, waits, wait time+, "
     "waiting time+, time waiting, waited, asa, speed of answer, speed to answer, time to answer, "
     "average speed of answer, avg frt, average frt, mean frt, longest wait+, shortest wait+, max wait, "
     "maximum wait"),
    ("metric", BEST_FRT,
     "best frt, best first response+, best first response time+, fastest first response+, "
     "fastest first response time+, quickest first response+, best first reply, fastest first reply"),
    ("metric", ART,
     "art, response time+, average response+, avg response+, reply time+, time to respond, time to reply, "
     "responsiveness, response speed, mean response time+"),
    ("metric", REACTION,
     "reaction time+, reaction+, pickup time+, pick up time+, pick-up time+, time to pick up, time to accept, "
     "acceptance time+, time to join, time to take, time to claim"),
    ("metric", DURATION,
     "aht, handle time+, handling time+, average handle time+, average handling time+, chat duration+, "
     "conversation duration+, duration+, chat length+, length of chat+, conversation length+, talk time+, "
     "chat time+, resolution time+, time to resolve, time to resolution, how long chats last, "
     "how long chats take, how long do chats last, how long did chats last, long chats last, long chats take, "
     "long chats took, handled time, service time+, longest chat+, shortest chat+, longest conversation+, "
     "shortest conversation+, long chat+, short chat+"),
    ("metric", BUSIEST,
     "busiest, busiest day+, busiest time+, busiest hour+, peak, peak hour+, peak time+, peak day+, rush hour+, "
     "most active day, most active time, most active hour"),
    ("metric", OPEN, "open, still open, on hold, on-hold, onhold, held, unresolved, not closed"),
    ("metric", SPEED,
     "fast, quick, quickly, speed, slow, slowly, how fast, how quickly, how long, respond, responded, reply, "
     "replied, answer, answered, response+, responsive"),
    # Cues: which command a question is for.
    ("cue", "who", "who, whom, whose"),
    ("cue", "agents",
     "agent+, team member+, staff, operator+, rep, reps, representative+, colleague+, employee+, by agent, "
     "per agent, each agent, leaderboard, ranking+, rank, ranked, league table, individual+, person, which agent+"),
    ("cue", "chart",
     "chart+, graph+, plot, plotted, trend+, trending, over time, per day, by day, each day, day by day, "
     "daily breakdown, sparkline, picture, visual, visualise, visualize, line chart, histogram, timeline, curve, "
     "evolution, develop, developed, image, png, draw, by hour, per hour, hourly, by the hour, hour by hour"),
    ("cue", "now",
     "now, right now, currently, at the moment, at this moment, live, queue, queued, in queue, "
     "in the queue, in line, backlog, waiting, online, available, logged in, on shift, on duty, unassigned, "
     "pending, at present, still waiting, anyone waiting, anybody waiting, is anyone, is anybody"),
    ("cue", "export",
     "export, exports, spreadsheet, spreadsheets, excel, xlsx, csv, download, file, sheet, raw data, workbook, "
     "attachment, as a file"),
    ("cue", "xlsx", "spreadsheet, spreadsheets, excel, xlsx, workbook, sheet"),
    ("cue", "digest",
     "digest+, subscribe, subscription, schedule, scheduled, every, each morning, each evening, every morning, "
     "every evening, daily summary, daily report, daily digest, remind, recurring, automatically, each weekday, "
     "weekly"),
    ("cue", "departments", "department+, dept+, team+, group+, queues, desk+"),
    ("cue", "list", "list, which, what, name, names, show, all, are there, do we have, exist, which agent+"),
    ("cue", "help",
     "help, what can you do, what do you do, what can i ask, what can you answer, what do you know, "
     "how do you work, how does this work, how does it work, how to use, how do i use you, how do i use this, "
     "how do i use it, use you, usage, command+, instructions, manual, examples, options"),
    ("cue", "overview",
     "overview, summary, summaries, summarise, summarize, stats, statistics, numbers, figures, kpi, kpis, "
     "metrics, report, reports, performance, how did we do, how are we doing, how were we, how was, how did, "
     "dashboard, recap, analytics, breakdown, status, what happened"),
    ("cue", "compare", "compare, compared, comparison, vs, versus, against, than, differ"),
    ("cue", "alert",
     "alert, alerts, notify, notification, notifications, warn, warning, let me know when, tell me when, "
     "ping me, let me know if, tell me if, threshold, exceeds, goes above"),
    ("cue", "count", "how many, how much, number of, count, total, amount of, volume of"),
    ("cue", "greeting", "hi, hello, hey, good morning, morning, hiya, yo, howdy"),
    ("cue", "thanks", "thanks, thank you, thx, cheers, great, cool, ok, okay, nice"),
    # Superlatives, which turn a question into a ranking of agents.
    ("rank", "fast", "fastest, quickest, most responsive, snappiest, shortest"),
    ("rank", "slow", "slowest, least responsive, longest"),
    ("rank", "most",
     "most, highest, biggest, largest, more, busiest agent+, hardest working, hardest, busiest person, "
     "busiest people"),
    ("rank", "least", "least, fewest, lowest, smallest, less"),
    ("rank", "best", "best, top, star, mvp, strongest, leading"),
    ("rank", "worst", "worst, weakest, bottom, poorest"),
    # Topics outside the analytics the bot reads: answered with what it can do instead, never guessed at.
    ("topic", "csat",
     "csat, satisfaction, satisfied, rating+, rated, nps, net promoter, feedback, survey+, happy, happiness, "
     "stars, score, scores, sentiment, thumbs"),
    ("topic", "abandoned",
     "abandoned, abandon, abandons, abandonment, missed, dropped, gave up, give up, bounced, never answered, "
     "went unanswered"),
    ("topic", "transfers", "transfer+, transferred, forwarded, escalation+, escalated, reassigned"),
    ("topic", "sla", "sla, slas, breach, breaches, breached, service level+, target+"),
    ("topic", "tags", "tag+, topic+, reason+, keyword+, category, categories, label+, subject+"),
    ("topic", "transcripts",
     "transcript+, what was said, said, say, says, chat log+, conversation log+, wrote, written, complain, "
     "complained, complaint+"),
    ("topic", "percentiles",
     "median, medians, percentile+, p50, p75, p90, p95, p99, 90th, 95th, 99th, distribution, maximum, minimum, "
     "max, min, longest wait+, shortest wait+, max wait, maximum wait"),
    # (Dates in the future and parts of days are found with the date phrases: bot.understanding.when.)
    ("topic", "future", "forecast, predict, prediction, expect, expected, will be, going to be"),
)  # fmt: skip


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one string (long lists of single words read better so)."""
    return frozenset(text.split())


def _forms(phrase: str) -> tuple[str, ...]:
    if phrase.endswith("+"):
        base = phrase[:-1]
        return (base, base + "s")
    return (phrase,)


def _build(table: Iterable[tuple[str, str, str]]) -> Mapping[tuple[str, ...], tuple[Meaning, ...]]:
    found: dict[tuple[str, ...], list[Meaning]] = {}
    for kind, value, phrases in table:
        for phrase in (p.strip() for p in phrases.split(",")):
            for form in _forms(phrase):
                found.setdefault(tuple(form.split()), []).append(Meaning(kind, value))
    return MappingProxyType({k: tuple(v) for k, v in found.items()})


PHRASES = _build(_TABLE)
LONGEST = max(len(k) for k in PHRASES)

# Words that carry nothing for the reading ("please", "our", "the"), so they never count as not understood.
STOP_WORDS = word_set(
    """
    a an the of for in on at to from by with and or but so as per via into about over during within
    i me my mine we us our ours you your yours it its they them their this that these those there here
    is are was were be been being am do does did done have has had having get got gets getting give gave
    can could would should will shall may might must please pls plz kindly just also again quickly quick
    show tell let see look looking check find know want need like wanted needed give me tell me show me
    what which how when where why whether if then than too very really much many some any all each every
    ever yet still already up down out off only even ok okay well hey hi so far total overall average avg
    mean typical typically usually normal generally roughly approximately about around number amount
    post send put share give make create set start run bot analytics one ones thing things stuff
    day days week weeks month months year years quarter quarters time times period periods date dates
    today yesterday lately recently recent currently happen happened happening going go goes went
    doing did done has have guys team people folks everyone everybody someone somebody anyone anybody
    customers customer visitors visitor clients client current close closed handle handled handles
    took take takes served serve receive received talk talked came come arrive arrived sent perform performed
    performing performance doing no yes nope yeah before after room channel
    """
)
# Words that cannot be told from a department's or agent's name by their place alone ("did Sales have").
NAME_SLOT_BEFORE = frozenset({"in", "for", "from", "within", "of", "at", "did", "does", "do", "has", "have", "had"})
NAME_SLOT_AFTER = frozenset(
    {"team", "department", "dept", "desk", "group", "queue", "have", "has", "had", "get", "got", "handle",
     "handled", "receive", "received", "see", "saw", "do", "did", "take", "took", "agents", "people"}
)  # fmt: skip

# How a metric is named in a clarifying question.
SPOKEN: Mapping[str, str] = MappingProxyType(
    {
        CONVERSATIONS: "conversations",
        MESSAGES: "messages",
        FRT: "first response time",
        BEST_FRT: "best first response time",
        ART: "average response time",
        REACTION: "reaction time",
        DURATION: "chat duration",
    }
)
