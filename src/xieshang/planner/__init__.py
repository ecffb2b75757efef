"""Planning: repayment capacity, negotiation options, the optimizer, baselines and proposals. No I/O."""
