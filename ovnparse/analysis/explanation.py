"""What analysis says about a trace: its Explanation and, for a drop, the Drop.

Every format's analysis (logical.py, openflow.py, ovnkube.py) returns one.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Drop:
    datapath: str | None
    pipeline: str | None
    table: int | None
    stage: str | None
    priority: int | None
    match: str | None
    lflow: str | None
    reason_code: str
    reason: str
    line: int | None
    extra: dict = field(default_factory=dict)  # format-specific keys ("cookie", ...)

    def to_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "extra"}
        out.update(self.extra)
        return out


@dataclass
class Explanation:
    format: str
    microflow: str | None
    lines: list[int]
    verdict: str
    outputs: list[str] | None
    datapaths: list[str] | None
    transforms: list[dict]
    drop: Drop | None
    warnings: list[str]
    source: str = ""
    endings: list = field(default_factory=list, repr=False)  # the branches' ends (logical)
    # Keys only some formats have (OpenFlow traces: "recirculations"), added
    # to the JSON object after the common ones.
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {**self._common(), **self.extra}

    def _common(self) -> dict:
        return {
            "format": self.format,
            "microflow": self.microflow,
            "lines": self.lines,
            "verdict": self.verdict,
            "outputs": self.outputs,
            "datapaths": self.datapaths,
            "transforms": self.transforms,
            "drop": self.drop.to_dict() if self.drop else None,
            "warnings": self.warnings,
        }


