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

from ..lines import Block
from ..model import Command, Trace
from .sniff import FLOW_HEADER, is_ovnkube_line

# A prompt: an optional (venv) or () and then [user@host dir]#, user@host:dir$,
# sh-5.1#, or a bare $ # % (zsh) or ❯; then the command, if any.
_PROMPT = re.compile(
    r"\s*(?:\([^()\s]*\)\s*)?"
    r"(?:\[[^\]]*\]\s?[#$%]|[\w.-]+@[\w.-]+(?::\S*)?\s?[#$%]|(?:ba|z|k)?sh-[\d.]+[#$]"
    r"|[$#%❯])"
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


class Paste:
    """Blanks prompts and commands in the blocks it passes on; keeps the commands."""

    def __init__(self, source: str):
        self.source = source
        self.queue: deque[Command] = deque()  # found, not given to a trace yet
        self._open: Command | None = None  # a command that goes on in the next line

    def blocks(self, blocks: Iterable[Block]) -> Iterator[Block]:
        for block in blocks:
            self._blank(block)
            yield block

    def _blank(self, block: Block) -> None:
        lines = block.lines
        logged = block.klog  # (a log line is not typed at a prompt)
        for i, text in enumerate(lines):
            if self._open is not None:
                self._continue(self._open, text, block.first + i)
                lines[i] = ""
                continue
            c = text[:1]
            # (cheap tests first: most lines are a trace's)
            if (c in _PROMPT_FIRST or c.isalpha() and (
                    text.startswith(_COMMAND_PREFIXES) or "@" in text)) \
                    and not (logged and block.first + i in logged):
                if self._command(text, block.first + i) is not None:
                    lines[i] = ""

    def _command(self, text: str, number: int) -> Command | None:
        """The command (or bare prompt) a line holds, or None."""
        m = _PROMPT.match(text)
        if m is not None:
            rest = m.group("command") or ""
            stripped = text.lstrip()
            if stripped.startswith("# ") and (FLOW_HEADER.match(stripped)
                                              or _SECTION.match(stripped)):
                return None  # ovn-trace's own `# <microflow>` line, or an --all section
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


# How a line that may be a prompt or a command starts: a prompt's first
# character, or (user@host:~$ aside) a command word's first letters.
_PROMPT_FIRST = frozenset("$#%❯[(")
_COMMAND_PREFIXES = tuple(sorted({w[:3] for w in _COMMAND_WORDS} | {"sh-", "bash-", "zsh-"}))


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
