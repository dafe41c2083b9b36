"""Phase 07, guardrails: the organization's policy baseline, previewed against the kit's own operations."""
