"""What the CLI runs: notebooks headless, the rehearsal, the lab, recording an interactive notebook, the IAM policy."""
