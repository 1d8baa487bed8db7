"""Backend supervision: the embedded model catalog, its conversion, and the vLLM servers ``solv up`` runs."""
