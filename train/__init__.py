"""Training: its settings (torch-free: the CLI builds its options from them), data, prior and
rebalancing, steps, the loop and evaluation; all but the settings load only for train and eval."""
