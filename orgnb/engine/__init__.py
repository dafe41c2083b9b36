"""Plan and apply: steps, executors by action, the journal before and after each write, facts for later runs, the apply lease."""
