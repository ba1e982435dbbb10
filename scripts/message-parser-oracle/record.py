"""Record how Rocket.Chat's own message parser renders the bot's echoes, as test data.

The test suite must pass without node, so the parser's verdicts on a fixed set of echoes are stored in
tests/replies/data/parser_verdicts.json; tests/replies/test_echo.py checks that the echoes the code makes
today are still the recorded ones and that the parser saw no mention, link, emoji or markup in them.

Run it again after changing `bot.replies.markup.echo` (needs node and npm):

    (cd scripts/message-parser-oracle && npm install)
    .venv/bin/python scripts/message-parser-oracle/record.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from bot.replies.markup import echo  # noqa: E402

OUT = ROOT / "tests" / "replies" / "data" / "parser_verdicts.json"
# Each echo is also recorded inside a reply sentence with markup around it, as replies use them.
SENTENCE = "*Overview* · I could not read {} as a date range; try `last week`."

# What people type after a command, and what a server may call a department, an agent or a chart.
HOSTILE = [
    "last week @all please",
    "@all",
    "@here now",
    "ping @maria.manager and @bob",
    "#general",
    "see #omnichannel-managers",
    "a>@all",
    "a>b>#general x>@here",
    "quote > @all",
    "*bold* _italic_ ~strike~ ~~double~~",
    "`code` ```block```",
    "[a link](https://example.com) https://example.com/x?y=1 www.example.com",
    "<https://example.com|label> <@all>",
    ":smile: :+1: :rocket:",
    "<b>html</b> &amp; &lt;script&gt;",
    "line one\nline two @all\n@here",
    "tab\t@all",
    "nbsp\u00a0@all",
    "bom\ufeff@all",
    "ideographic\u3000@all",
    "zero\u200bwidth",
    "1. numbered\n- bullet\n> quote",
    "||spoiler|| __under__",
    "Avg_reponse_time",
    "dept=Sales & Support",
    "Sales (EMEA) · 24/7",
    "emoji 🎉 and ünïcødé",
    "mail maria@example.com",
    "\\*escaped\\* \\@all",
    "$$x^2$$ \\(y\\)",
    "!overview last week @all",
    "x" * 120,
]


def main() -> int:
    echoes = [echo(text) for text in HOSTILE]
    echoes += [SENTENCE.format(e) for e in echoes]
    done = subprocess.run(
        ["node", str(HERE / "verdicts.mjs")],
        input=json.dumps(echoes),
        capture_output=True,
        text=True,
        cwd=HERE,
        check=False,
    )
    if done.returncode != 0:
        print(f"the parser failed (did you run npm install in {HERE}?):\n{done.stderr}", file=sys.stderr)
        return 1
    verdicts = json.loads(done.stdout)
    package = json.loads((HERE / "node_modules" / "@rocket.chat" / "message-parser" / "package.json").read_text())
    typed = HOSTILE + HOSTILE
    cases = [{"typed": text, **verdict} for text, verdict in zip(typed, verdicts, strict=True)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    record = {"parser": f"@rocket.chat/message-parser {package['version']}", "cases": cases}
    OUT.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    print(f"recorded {len(cases)} verdicts of {record['parser']} in {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
