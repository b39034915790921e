"""Replays: a packet run again with the real tools against saved state.

logical.py   ovn-trace against a private ovsdb-server serving a saved Southbound
ovnkube.py   what ovnkube-trace runs, from Kubernetes names (ovnparse.k8s), both ways
"""
