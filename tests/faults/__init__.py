"""Fault tests: the hall's server as a real process, broken on purpose (issue 9)."""
