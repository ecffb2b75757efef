"""xieshang (协商): free, local-first help for borrowers whose consumer loans are overdue.

Layers, arrows pointing inwards: ``money``/``rates`` (vocabulary) ← ``engine`` (pure computation)
← ``rules`` (data files) ← ``services`` (use-cases) ← ``cli``/``web`` (thin faces).
"""

__version__ = "0.1.0"
