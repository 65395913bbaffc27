"""``eksguard audit``: reads a live AWS account and its clusters (read-only), turns each resource into the
declaration that would manage it, and lets the policy pack judge them as ``check`` does."""
