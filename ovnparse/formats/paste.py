"""What people save around a trace: shell prompts and the commands they typed.

Traces reach tickets, chats and bug reports pasted from a terminal:

    [root@ovn-control-plane ~]# ovn-trace --ct=new ovn-worker \\
    >     'inport == "prod_web-1" && ...'
    # tcp,reg14=0x5,...
    ingress(dp="ovn-worker", inport="prod_web-1")
    ...
    sh-5.1#

Before any format is detected, `Paste.blocks` finds such lines (a prompt
with or without a command, a command line of a known tool, the lines a
command continues on) and blanks them in place, so every other line keeps
its number and no parser takes a prompt for a trace line.  Each command
is kept (`Command`: its text, the tool it runs, its options, its line) and
given to the trace that follows it (`Paste.command_for`).  A root prompt
`# ovn-trace ...` is told from ovn-trace's own `# <microflow>` line by the
flow syntax of the latter.
"""

from __future__ import annotations

import re
import shlex
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import compress, repeat
from operator import and_, eq

from ..lines import Block
from ..model import Command, Trace, renumber
from .sniff import FLOW_HEADER, is_ovnkube_line

# A prompt: an optional (venv) or () and then [user@host dir]#, user@host:dir$,
# sh-5.1#, or a bare $ # % (zsh) or ❯; then the command, if any.
_PROMPT = re.compile(
    r"\s*(?:\([^()\s]*\)\s*)?"
    r"(?:\[[^\]]*\]\s?[#$%]|[\w.-]+@[\w.-]+(?::\S*)?\s?[#$%]|(?:ba|z|k)?sh-[\d.]+[#$]"
    r"|[$#%❯]|\+)"  # (`+ `: a command echoed by the shell's `set -x`)
    r"(?:\s+(?P<command>.*?))?\s*\Z")
_SECTION = re.compile(r"# (?:Detailed|Summary|Minimal) trace\.\Z")
# Commands that may be typed without a prompt being saved with them.
_COMMAND_WORDS = frozenset({
    "ovn-trace", "ovn-detrace", "ovnkube-trace", "ovs-appctl", "ovn-appctl", "kubectl",
    "kubectl-ko", "oc", "sudo", "docker", "podman", "crictl", "ovn-nbctl", "ovn-sbctl",
    "ovs-vsctl", "ovs-ofctl", "microk8s", "openstack", "neutron",
})
# The tools whose output ovnparse reads, by the word that runs them.
_TOOLS = {"ovn-trace": "ovn-trace", "ovn-detrace": "ovn-detrace",
          "ovnkube-trace": "ovnkube-trace", "ofproto/trace": "ofproto/trace"}
# Options whose value may be the next word (`--ct new`).
_TAKES_VALUE = frozenset({"--ct", "--db", "-t", "--target", "--lb-dst", "--select-id",
                          "--ovnnb", "--ovnsb", "--ovsdb", "-n", "--namespace", "-c",
                          "--container", "-src", "-dst", "-src-namespace", "-dst-namespace",
                          "-dst-port", "-addr-family", "-service", "-dst-ip", "-loglevel"})
_CONTINUED = ("\\", "&&", "||", "|")
_MAX_CONTINUATION = 20  # lines a command may go on over


# The lines worth a look (the rest, most of any text, are left as they are):
# a prompt's or a frame's first character, a command word's first letters, a
# flow's key=value at the left (a wrapped Flow: line goes on); and, found apart
# (a user@host prompt), a line with an "@" that starts with a letter.  One
# scan over the block's text: "\n" as the literal prefix keeps it fast (and
# the possessive " ++", which does not retry every indented line's spaces).
_CANDIDATE = re.compile(
    r"\n(?:[$#%❯\[(+\"'`~<.@]| ++[$#%❯\[]|--- |std|sh-|bash-|zsh-|Flow: |Megaflow: |Final flow: |"
    r"Datapath actions: |"
    + "|".join(sorted({re.escape(w[:3]) for w in _COMMAND_WORDS}))
    + r"|[a-z][a-z0-9_]*=[^\s=])")


def _candidates(lines: list[str]) -> list[int]:
    """The indices of the lines worth a look, in order, once each."""
    text = "\n" + "\n".join(lines)
    starts = [m.start() for m in _CANDIDATE.finditer(text)]
    at = text.find("@")
    while at >= 0:
        start = text.rfind("\n", 0, at)
        if text[start + 1:start + 2].isalpha():
            starts.append(start)
        end = text.find("\n", at)
        at = text.find("@", end) if end >= 0 else -1
    return _line_indices(text, starts)


def _line_indices(text: str, starts: Iterable[int]) -> list[int]:
    """The indices of the lines at the "\n"s at *starts* of "\n" + the lines
    joined, in order, once each."""
    found: list[int] = []
    line, offset = -1, 0
    for start in sorted(set(starts)):
        line += text.count("\n", offset, start + 1)
        offset = start + 1
        found.append(line)
    return found


class Paste:
    """Blanks prompts and commands in the blocks it passes on; keeps the commands."""

    def __init__(self, source: str):
        self.source = source
        self.queue: deque[Command] = deque()  # found, not given to a trace yet
        self._open: Command | None = None  # a command that goes on in the next line
        self.margin: str | None = None  # what every line of the text starts with
        self._diff = False  # inside a unified diff's hunk (a test harness's output)
        # Lines broken at a width and joined again (_unwrap) leave the file's
        # numbering: the blocks passed on count the joined lines as one, and
        # renumber() gives a trace the file's numbers back.
        # (number passed on of a joined line, rows joined into it), in order
        self._joined: list[tuple[int, int]] = []
        self._removed = 0  # rows joined so far

    def blocks(self, blocks: Iterable[Block]) -> Iterator[Block]:
        for block in blocks:
            if self.margin is None:
                self.margin = _margin(block)
            self._unindent(block.lines)
            block = self._unwrap(block)
            self._blank(block)
            yield block

    def _unindent(self, lines: list[str]) -> None:
        """Take off a margin the whole text has (a code block, a mail quote)."""
        margin = self.margin
        if margin:
            cut, bare = len(margin), margin.strip()
            lines[:] = [t[cut:] if t.startswith(margin) else "" if t.strip() in (bare, "")
                        else t for t in lines]

    def _unwrap(self, block: Block) -> Block:
        before = self._removed
        joins = _unwrap(block.lines)
        if not joins and not before:
            return block
        first = block.first - before  # (its number as passed on)
        for index, rows in joins:
            self._joined.append((first + index, rows))
            self._removed += rows
        klog = frozenset(self._passed_on(n) for n in block.klog) if block.klog else block.klog
        return Block(first, block.lines, block.cut, klog)

    def _passed_on(self, number: int) -> int:
        """The number passed on of the file's line *number* (not a joined row)."""
        return number - sum(rows for at, rows in self._joined if self.original(at) < number)

    def original(self, number: int) -> int:
        """The file's number of a line numbered *number* as passed on."""
        if not number:
            return number
        return number + sum(rows for at, rows in self._joined if at < number)

    def renumber(self, trace: Trace) -> None:
        """Give a trace read from the blocks passed on the file's line numbers."""
        if self._joined:
            renumber(trace, self.original)

    def _blank(self, block: Block) -> None:
        lines = block.lines
        i = 0
        if self._open is not None or self._diff:
            i = self._go_on(lines, 0, block.first)  # what the last block left open
        logged = block.klog  # (a log line is not typed at a prompt)
        for k in _candidates(lines):
            if k >= i and not (logged and block.first + k in logged):
                i = self._line(lines, k, block.first)

    def _line(self, lines: list[str], k: int, first: int) -> int:
        """Read a line that may be pasted around a trace (a candidate: see
        _CANDIDATE); the index of the next line to look at."""
        text = lines[k]
        c = text[:1]
        if self._command(text, first + k) is not None:
            lines[k] = ""
            return self._go_on(lines, k + 1, first)
        if c in _FRAME_FIRST and (
                _FRAME.match(text) if c != "." else
                text.startswith("./") and self._command(_autotest(text), first + k)) \
                or c == "s" and text.rstrip() in ("stdout:", "stderr:"):
            lines[k] = ""  # a quote or code-fence line; a test harness's echo
            return self._go_on(lines, k + 1, first)
        if c == "@" and _HUNK.match(text):
            self._diff = True
            lines[k] = ""
            return self._go_on(lines, k + 1, first)
        if c == "-" and text.startswith("--- ") and k + 1 < len(lines) \
                and lines[k + 1].startswith("+++ "):
            lines[k] = lines[k + 1] = ""  # a unified diff's header: its hunks follow
            return k + 2
        # a flow wrapped at a comma or a backslash (by hand, by a mail client),
        # before a comma, or mid-word after a flow line's start
        j = k + 1
        flow_line = text.startswith(_FLOW_LINES)
        while j < len(lines) and (
                text[-1:] in _GOES_ON and lines[j].lstrip()[:1].islower()
                and _FLOW_TOKEN.match(lines[j])
                or lines[j][:1] == "," and _FLOW_TOKEN.match(lines[j], 1)
                or flow_line and _rest_of_flow(lines[j])):
            text = lines[k] = text.rstrip("\\").rstrip() + lines[j].strip()
            lines[j] = ""
            j += 1
        return j

    def _go_on(self, lines: list[str], i: int, first: int) -> int:
        """Blank the lines an open command or diff goes on over, from lines[i];
        the index of the line after them."""
        n = len(lines)
        while i < n and self._open is not None:
            self._continue(self._open, lines[i], first + i)
            lines[i] = ""
            i += 1
        while i < n and self._diff:
            if lines[i][:1] in _DIFF_FIRST and lines[i]:
                lines[i] = ""
                i += 1
            else:
                self._diff = False
        return i

    def _command(self, text: str, number: int) -> Command | None:
        """The command (or bare prompt) a line holds, or None."""
        m = _PROMPT.match(text)
        if m is not None:
            rest = m.group("command") or ""
            stripped = text.lstrip()
            if stripped.startswith("# ") and _not_a_root_prompt(stripped):
                return None
            command = Command(rest, None, [], number)
        else:
            words = text.split(None, 2)
            if len(words) < 2 or words[0] not in _COMMAND_WORDS or not _typed(words) \
                    or is_ovnkube_line(text.strip()):
                return None
            command = Command(text.strip(), None, [], number)
        if command.text:
            self._open = command if command.text.endswith(_CONTINUED) or _unbalanced(
                command.text) else None
            _describe(command)
            self.queue.append(command)
        return command

    def _continue(self, command: Command, text: str, number: int) -> None:
        line = text.strip()
        if line.startswith("> "):  # the shell's continuation prompt (PS2)
            line = line[2:].strip()
        command.text = command.text.rstrip("\\").rstrip() + " " + line
        command.last_line = number
        if not (line.endswith(_CONTINUED) or _unbalanced(command.text)) \
                or number - command.line >= _MAX_CONTINUATION:
            self._open = None
        _describe(command)

    def command_for(self, trace: Trace) -> None:
        """Give the trace the command typed before its first line of content."""
        if not self.queue:
            return
        start = _content_start(trace)
        chosen = None
        while self.queue and self.queue[0].line < start:
            command = self.queue.popleft()
            if chosen is None or command.tool is not None or chosen.tool is None:
                chosen = command
        trace.command = chosen

    def leftovers(self) -> list[Command]:
        """Commands after the last trace."""
        out = list(self.queue)
        self.queue.clear()
        return out


_MARGIN_LINES = 200  # lines of the first block the margin is read from
# Lines that frame a pasted block: quotes, code fences, markup; a test
# harness's words around an output (autotest's `stdout:`).
_FRAME = re.compile(r"""\s*(?:```[\w-]*|~~~[\w-]*|"{1,3}|'{1,3}|</?pre>|\[/?code\])\s*\Z""")
_FRAME_FIRST = frozenset("\"'`~<[.")
_GOES_ON = frozenset(",\\")
# A unified diff's hunk (a test harness comparing outputs): its lines are not a trace.
_HUNK = re.compile(r"@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")
_DIFF_FIRST = frozenset(" +-\\")
# A flow's key=value that goes on from the line before (a wrapped Flow: line).
_FLOW_TOKEN = re.compile(r"\s*[a-z][a-z0-9_]*=[^\s=]")


# Lines that print a flow (ovn-trace's microflow; ofproto/trace's), which a
# terminal or mail client may break anywhere.
_FLOW_LINES = ("# ", "Flow: ", "Final flow: ", "Megaflow: ")


def _rest_of_flow(text: str) -> bool:
    """Whether a line may be the rest of a flow broken mid-word: one word of
    what a flow is made of, with a key's `=` in it (no `(`, `;` or quote: an
    action), that starts no line of a trace."""
    return bool(_FLOW_REST.match(text)) and not _STARTS_A_LINE.match(text)


_FLOW_REST = re.compile(r"[\w.:/,|+\[\]-]*=[\w.:/,|+=\[\]-]*\Z")


def _unwrap(lines: list[str]) -> list[tuple[int, int]]:
    """Join the lines a terminal or a mail client broke: at a fixed width,
    mid-word (the text's longest lines are all of one length, from _MIN_WRAP
    to _MAX_WRAP, at least _MIN_WRAPPED of them: a line of that length goes on in
    the next when the next may be its rest, _goes_on), or inside a quoted
    string (a line with an odd number of `"` goes on in the next line that
    closes it), or before a summary trace's `{`.  The rows joined are taken
    out (a blank row would end a tree); returns (index of a joined line, rows
    joined into it), in order."""
    width = max(map(len, lines), default=0)
    if not _MIN_WRAP <= width <= _MAX_WRAP \
            or sum(1 for t in lines if len(t) == width) < _MIN_WRAPPED:
        width = -1  # (not broken at a width)
    # the rows that may go on in the next: of the width, with a `"` left
    # open, or before a lone `{` (ovn-trace's summary ends a line with " {")
    starts = _indices_where(lines, width)
    if not starts:
        return []
    joined: list[tuple[int, int]] = []
    out: list[str] = []
    done, n = 0, len(lines)
    for k in starts:
        if k and lines[k] == "{":
            k -= 1  # (the line it goes on from)
        if k < done:
            continue  # (already joined into a line above)
        j = k + 1
        while j < n and (len(lines[j - 1]) == width and _goes_on(lines[j - 1], lines[j])
                         or _in_quotes(lines, k, j) or lines[j] == "{"):
            j += 1
        if j > k + 1:
            out.extend(lines[done:k])
            joined.append((len(out), j - k - 1))
            out.append("".join(lines[k:j]))
            done = j
    if joined:
        out.extend(lines[done:])
        lines[:] = out
    return joined


# (at the "\n" before) a line with an odd number of `"`; a line that is `{`


def _indices_where(lines: list[str], width: int) -> list[int]:
    """The indices of the lines `width` long, or that are `{`, or that hold an
    odd number of `"` (mapped in C: this runs over every line of every text)."""
    n = len(lines)
    marks = set(compress(range(n), map(and_, map(str.count, lines, repeat('"')), repeat(1))))
    if "{" in lines:
        marks.update(compress(range(n), map(eq, lines, repeat("{"))))
    if width > 0:
        marks.update(compress(range(n), map(eq, map(len, lines), repeat(width))))
    return sorted(marks)


def _in_quotes(lines: list[str], k: int, j: int) -> bool:
    """Whether lines[k:j] leave a `"` open that lines[j], the rest of a line,
    closes."""
    if not sum(t.count('"') for t in lines[k:j]) & 1:
        return False
    nxt = lines[j]
    return bool(nxt.count('"') & 1) and len(nxt) - len(nxt.lstrip(" ")) < 4


def _goes_on(before: str, text: str) -> bool:
    """Whether *text*, after *before* broken at the width, may be its rest: it
    starts at the left margin, or one to three spaces in (a break before a
    space; the tools indent by four), and not as a line of a trace does (but a
    row of "=" goes on in a row of "=")."""
    rest = text.lstrip(" ")
    if not rest or len(text) - len(rest) >= 4:
        return False
    if rest[0] == "=" and not rest.strip("=") and not before.strip("="):
        return True
    if _TABLE_LINE.match(before) and _ACTION_START.match(rest):
        return False  # a whole table line, then its first action (ovn-detrace's stripped text)
    return not _STARTS_A_LINE.match(rest)


_TABLE_LINE = re.compile(r"\s*\d+\. .*, priority \d+(?:, cookie 0x[0-9a-f]+)?\Z")
_ACTION_START = re.compile(r"[a-z_]+[(:]")


# Widths text is broken at: mail clients 72 to 78 columns, terminals and
# commit messages 80 (a terminal's own wrapping is undone when copied); wider
# lines of one length are lines of one template (ovnkube-trace's verdicts).
_MIN_WRAP, _MAX_WRAP = 70, 100
_MIN_WRAPPED = 3
# How a line of a trace, a prompt or a frame starts: never a wrapped line's rest.
_STARTS_A_LINE = re.compile(
    r"(?:Flow: |Final flow: |Megaflow: |Datapath actions: |bridge\(|Bridge: |Packet: |Rule: |"
    r"-> |>> |>>>> |"
    r"OpenFlow actions=|Resubmitted |No match|Trace |=====|\d+\. |#|ingress\(|egress\(|"
    r"ovn-trace |ovs-appctl |ovn-detrace |\* |"
    r"multicast\(|[$%❯]|> |\[[^\]]*@|[\w.-]+@[\w.-]+|--- |\+\+\+ |@@)")


def _autotest(text: str) -> str:
    """An OVS test-suite log's echo of a command, `./bundle.at:233: cmd`, as a command."""
    m = re.match(r"\./[\w.-]+\.at:\d+: (.*)\Z", text)
    return "$ " + m.group(1) if m else ""
_QUOTES = ("> ", ">", "# ")


def _margin(block: Block) -> str:
    """What every line of the first lines of the text starts with, if the whole
    text was indented (a code block in a document, a pasted excerpt) or quoted
    (`> ` of mail and markdown): the lines' common leading spaces, then a quote
    mark if every line has one.  Prompt and command lines are not counted: a
    prompt is often at the left of an indented output."""
    lines = [t for t in block.lines[:_MARGIN_LINES]
             if t.strip() and (_PROMPT.match(t) is None or _not_a_root_prompt(t.lstrip()))]
    if not lines:
        return ""
    spaces = min(len(t) - len(t.lstrip(" ")) for t in lines)
    margin = lines[0][:spaces]
    rest = [t[spaces:] for t in lines]
    for quote in _QUOTES:
        if all(t.startswith(quote) or t.rstrip() == quote.strip() for t in rest) \
                and not FLOW_HEADER.match(rest[0]):  # (`# `: not ovn-trace's own first line)
            margin += quote
            break
    return margin


# How a line that may be a prompt or a command starts: a prompt's first
# character, or (user@host:~$ aside) a command word's first letters.
_PROMPT_FIRST = frozenset("$#%❯[(+")
_COMMAND_PREFIXES = tuple(sorted({w[:3] for w in _COMMAND_WORDS} | {"sh-", "bash-", "zsh-"}))


# A trace's line, after a `# ` that then quotes it (a comment in a script or a
# commit message), not a command typed at a root prompt.
_TRACE_STARTS = re.compile(r'# (?:Flow: |Final flow: |Megaflow: |Datapath actions: |bridge\("|'
                           r'(?:ingress|egress)\(dp=|\s*\d+\. )')


def _not_a_root_prompt(stripped: str) -> bool:
    """A `# ...` line that is ovn-trace's own `# <microflow>` line, an --all
    section marker, or a trace line quoted with `# `."""
    return bool(FLOW_HEADER.match(stripped) or _SECTION.match(stripped)
                or _TRACE_STARTS.match(stripped))


def _typed(words: list[str]) -> bool:
    """A line that starts with a command word reads as a command typed (its
    options, a quoted flow, a subcommand), not as a log line that names a
    tool (ovnkube-trace's `ovn-detrace error ... stdOut:`)."""
    second = words[1]
    if second[:1] in "-'\"" or second in _SUBCOMMANDS or second in _COMMAND_WORDS:
        return True
    rest = words[2] if len(words) > 2 else ""
    return words[0] in ("ovn-trace", "ovn-detrace") and rest[:1] in "'\"" \
        and "stdOut:" not in rest


_SUBCOMMANDS = frozenset({"ofproto/trace", "exec", "rsh", "ko", "trace", "run", "debug"})


def _unbalanced(text: str) -> bool:
    """An open quote: the command goes on in the next line."""
    single = double = False
    escaped = False
    for c in text:
        if escaped:
            escaped = False
        elif c == "\\" and not single:
            escaped = True
        elif c == "'" and not double:
            single = not single
        elif c == '"' and not single:
            double = not double
    return single or double


def _describe(command: Command) -> None:
    """The tool a command runs and its options, from its words."""
    try:
        words = shlex.split(command.text, comments=False)
    except ValueError:  # an open quote: the words so far
        words = command.text.split()
    tool = None
    options: list[str] = []
    for n, word in enumerate(words):
        base = word.rsplit("/", 1)[-1] if not word.startswith("ofproto/") else word
        if tool is None:
            if base in _TOOLS:
                tool = _TOOLS[base]
            elif base in ("ko", "kubectl-ko") and n + 1 < len(words) \
                    and words[n + 1] == "trace":
                tool = "kubectl-ko trace"
            continue
        if word.startswith("-") and len(word) > 1:
            if "=" not in word and word in _TAKES_VALUE and n + 1 < len(words) \
                    and not words[n + 1].startswith("-"):
                word = f"{word}={words[n + 1]}"
            options.append(word)
    command.tool = tool
    command.options = options


def _content_start(trace: Trace) -> int:
    """The line of the trace's first node (its text may start with blank lines)."""
    lines = [node.line for node in trace.walk() if node.line]
    return min(lines) if lines else trace.first_line + 1
