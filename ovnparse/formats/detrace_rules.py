"""ovn-detrace's rules, in one place: which lines it looks things up for, when
it prints what it found, how it prints the lines it copies, and how its notes
read.  The parser (formats/ovn_detrace.py), the printer (views/detrace_text.py)
and `ovnparse detrace` all use these.

ovn-detrace (utilities/ovn_detrace.py.in) is a line filter.  It copies each
line of an ofproto/trace; a line that matches its cookie regex (or, with
--ovs, its in_port/output regexes) is remembered; when a flush line comes
(a table line, a blank line, and since 24.09 another cookie line) it prints
the records of what it remembered, then copies that line.  Three release
families print differently (read at the tags of ovn-org/ovn):

  FAMILY_2303  OVN <= 24.03: lines copied `strip()`ped; cookie regex
               `^.*cookie 0x(hex)`; flush at a table or blank line.
  FAMILY_2409  OVN 24.09 - 25.03 (commit e80e9e7df, "Allow ovn-detrace to run
               on ovs-ofctl dump-flows output"): still stripped; cookie regex
               `^.*cookie[ =]0x(hex)`, which also takes a `rule_cookie=0x..`
               inside `Datapath actions:`; also flushes at a cookie line.
  FAMILY_2509  OVN >= 25.09 (commit 523e05dcd): lines copied `rstrip()`ped,
               so the indentation stays; the notes are indented by four
               spaces a level of the last line that matched (+2 or +3).

Where ovn-detrace is wrong: its in_port regex `in_port=([0-9])+` keeps only
the last digit of the port (in_port=13 looks up port 3).  `INPORT_AS_TOOL`
is that regex (to read its output: whether a line triggers a lookup does not
depend on the bug); `INPORT` reads the whole number (to look ports up).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..lines import decimal
from ..model import DetraceNote, OfTable

FAMILY_2303 = "2303"
FAMILY_2409 = "2409"
FAMILY_2509 = "2509"

# A shell variable standing for a cookie (`cookie $pb_vm0`, in OVN's own
# tests, whose expected outputs were written before expansion) is taken as one.
_COOKIE_2303 = re.compile(r"^.*cookie (0x[0-9a-fA-F]+|\$\w+)")
_COOKIE_2409 = re.compile(r"^.*cookie[ =](0x[0-9a-fA-F]+|\$\w+)")
INPORT_AS_TOOL = re.compile(r"^ *[0-9]+\. *in_port=([0-9])+")  # ovn-detrace's (last digit)
INPORT = re.compile(r"^ *[0-9]+\. *in_port=([0-9]+)")  # the whole port number
OUTPORT = re.compile(r"^ *output:([0-9]+)")
TABLE_ID = re.compile(r"^ *[0-9]+\.")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")

COOKIE, OFPORT = "cookie", "ofport"  # what a line makes ovn-detrace look up


@dataclass(frozen=True)
class Rules:
    """The rules of one release family.  `verbatim`: copy lines as they are
    (`ovnparse detrace --extended`), not as the family's ovn-detrace does."""

    family: str = FAMILY_2303
    verbatim: bool = False

    @property
    def stripped(self) -> bool:
        """Copied lines lose their indentation."""
        return self.family != FAMILY_2509

    @property
    def cookie(self) -> re.Pattern:
        return _COOKIE_2303 if self.family == FAMILY_2303 else _COOKIE_2409

    @property
    def flush_at_cookie(self) -> bool:
        return self.family != FAMILY_2303

    def copy(self, line: str) -> str:
        """A copied line as printed (without its line end)."""
        if self.verbatim:
            return line[:-1] if line[-1:] == "\n" else line
        return line.strip() if self.stripped else line.rstrip()

    def flushes(self, line: str) -> bool:
        """ovn-detrace prints what it found before copying this line."""
        if not line.strip() or TABLE_ID.match(line):
            return True
        return self.flush_at_cookie and "cookie" in line and self.names_cookie(line)

    def names_cookie(self, line: str) -> bool:
        """Whether the cookie regex matches (a line with "cookie" in it)."""
        # The usual case, `..., cookie 0x1b2c3d4e` at the end of a table line,
        # told without the regex (whose `^.*` backtracks from the line's end).
        k = line.rfind("cookie 0x")
        if k >= 0 and line[k + 9:k + 10] in _HEX_DIGITS and "\n" not in line:
            return True
        return self.cookie.match(line) is not None

    def triggers(self, line: str, ovs: bool = True) -> list[str]:
        """What the line makes ovn-detrace look up, in its order: COOKIE, OFPORT
        (output:N, then a table line's in_port=N; each regex once).  `ovs`:
        the ports too (ovn-detrace --ovs); a text's notes tell whether it was."""
        roles = []
        if "cookie" in line and self.names_cookie(line):
            roles.append(COOKIE)
        if ovs:
            s = line.lstrip(" ")
            if s[:7] == "output:" and OUTPORT.match(s):
                roles.append(OFPORT)
            if s[:1].isdigit() and "in_port=" in s and INPORT_AS_TOOL.match(s):
                roles.append(OFPORT)
        return roles

    def lookups(self, line: str, ovs: bool) -> list[tuple[str, int | str]]:
        """(COOKIE, hex digits) and, with `ovs`, (OFPORT, number) for each lookup
        the line makes, in ovn-detrace's order, with the port read whole."""
        out: list[tuple[str, int | str]] = []
        if "cookie" in line:
            m = self.cookie.match(line)
            if m and m.group(1)[:2] == "0x":
                out.append((COOKIE, m.group(1)[2:]))
        if ovs:
            m = OUTPORT.match(line)
            if m:
                out.append((OFPORT, decimal(m.group(1))))
            m = INPORT.match(line)
            if m:
                out.append((OFPORT, decimal(m.group(1))))
        return out


#: the rules of each family
RULES_2303, RULES_2409, RULES_2509 = Rules(FAMILY_2303), Rules(FAMILY_2409), Rules(FAMILY_2509)


def family_of_release(release: str) -> str:
    """The family of the ovn-detrace of an OVN release ("23.03", "25.03", "26.03")."""
    try:
        version = tuple(int(x) for x in release.split(".")[:2])
    except ValueError:
        raise ValueError(f"not an OVN release: {release!r} (e.g. 23.03, 25.03)") from None
    if version < (24, 9):
        return FAMILY_2303
    return FAMILY_2409 if version < (25, 9) else FAMILY_2509


def family_of(stripped: bool) -> str:
    """The rules to read (and print back) a text by, from its form.

    Stripped text is read by the 24.09 rules, whichever release printed it:
    they are the 24.03 ones plus lookups at `cookie=0x` (a controller action's
    `rule_cookie=` in `Datapath actions:`) and a flush at such a line, and a
    24.03 text never has notes there nor notes pending at it: both read the
    same.  (To print what a given release prints, use its rules.)"""
    return FAMILY_2409 if stripped else FAMILY_2509


def split_lines(text: str) -> list[str]:
    """The lines Python's ``sys.stdin.readline()`` gives ovn-detrace (universal
    newlines), each with its line end but a last one that has none."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


# --- the notes ---------------------------------------------------------------------

#: print_p and print_h: the spaces before `* ` beyond the line's level
PRINT_P, PRINT_H = 2, 3

_NOTE_FIELDS = {
    "logical_flow": re.compile(
        r"Logical flow: table=(?P<table>\d+) \((?P<stage>[^)]*)\), priority=(?P<priority>-?\d+), "
        r"match=\((?P<match>.*)\), actions=\((?P<actions>.*)\)\Z"),
    "datapath": re.compile(r'"(?P<name>.*)" \((?P<uuid>[^()]*)\) \[(?P<pipeline>\w+)\]\Z'),
    "logical_datapath": re.compile(r'Logical datapath: "(?P<name>.*)" \((?P<uuid>[^()]*)\)\Z'),
    "port_binding": re.compile(
        r'Port Binding: logical_port "(?P<logical_port>.*)", tunnel_key (?P<tunnel_key>\d+),'
        r'(?: chassis-name "(?P<chassis_name>[^"]*)", chassis-str "(?P<chassis>[^"]*)")? ?\Z'),
    "mac_binding": re.compile(
        r'MAC Binding: ip "(?P<ip>.*)", logical_port "(?P<logical_port>.*)", '
        r'mac "(?P<mac>.*)"\Z'),
    "multicast_group": re.compile(
        r'Multicast Group: name "(?P<name>.*)", tunnel_key (?P<tunnel_key>\d+) '
        r'ports: \((?P<ports>.*)\)\Z'),
    "ovs_interface": re.compile(r"OVS Interface: (?P<name>\S*) \((?P<iface_id>.*)\)\Z"),
    "acl": re.compile(
        r"ACL: (?P<direction>[\w-]+), priority=(?P<priority>-?\d+), match=\((?P<match>.*)\), "
        r"(?P<action>[\w-]+)(?P<log> \(log\))?\Z"),
    "chassis": re.compile(
        r'Chassis: chassis-name "(?P<chassis_name>[^"]*)", chassis-str "(?P<chassis>[^"]*)"\Z'),
}


def note_fields(note: DetraceNote) -> dict:
    """A note's line as a dict of its fields (`{"text": ...}` for a kind or
    line not read further)."""
    pattern = _NOTE_FIELDS.get(note.what)
    body = note.body
    if pattern is None:
        head, _, rest = body.partition(": ")
        return {"text": rest if rest else body}
    m = pattern.match(body)
    if not m:
        return {"text": body}
    out = dict(m.groupdict())
    for key in ("table", "priority", "tunnel_key"):
        if out.get(key) is not None:
            out[key] = decimal(out[key])
    if "log" in out:
        out["log"] = out["log"] is not None
    return out


def logical_flow(step: OfTable) -> dict | None:
    """The `Logical flow:` ovn-detrace printed for an OpenFlow step, read."""
    for note in step.annotations:
        if note.what == "logical_flow":
            return note_fields(note)
    return None
