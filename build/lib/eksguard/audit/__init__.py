"""``eksguard audit``: a read-only audit of a live AWS account against the policy pack's controls."""
