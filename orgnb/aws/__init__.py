"""AWS access and reads: one session maker that counts calls, paginated reads, the inventory, guards, quotas, policy and role reads."""
