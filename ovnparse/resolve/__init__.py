"""Resolution of what a trace names (lflow uuid prefixes, OpenFlow cookies) to
database rows, the Northbound objects behind them and their Kubernetes owners."""
