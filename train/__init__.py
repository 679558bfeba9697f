"""Training: data, prior and rebalancing, the loop. Imported only by ``colorize train/eval``."""
