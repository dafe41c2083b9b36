"""The change record: status and journal files, scrubbing of secrets, rendering, the hash chain, comparing records."""
