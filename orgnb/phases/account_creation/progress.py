"""What the creation pipeline shows while it runs: a bar in JupyterLab, one line per event when headless."""

from __future__ import annotations

from tqdm.auto import tqdm


class Progress:
    """A tqdm bar in JupyterLab; plain log lines when headless (a saved record cannot show a live widget)."""

    def __init__(self, total: int, headless: bool) -> None:
        self.total = total
        self.finished = 0
        self.bar = None if headless else tqdm(total=total, desc="accounts", unit="account")

    def say(self, message: str) -> None:
        """One line of progress."""
        if self.bar is None:
            print(f"[{self.finished}/{self.total}] {message}", flush=True)
        else:
            self.bar.write(message)

    def finish_one(self, message: str) -> None:
        """An account is done (created or failed)."""
        self.finished += 1
        if self.bar is not None:
            self.bar.update(1)
        self.say(message)

    def close(self) -> None:
        """Close the bar."""
        if self.bar is not None:
            self.bar.close()
