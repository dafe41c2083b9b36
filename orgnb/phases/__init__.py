"""The runbook's phases: each a module or package building one `Phase` (phase.py), listed in order in registry.py."""
