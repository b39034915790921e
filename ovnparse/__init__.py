"""ovnparse: turn OVN and Open vSwitch trace printouts into data."""

__version__ = "0.1.0"
