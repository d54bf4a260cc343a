// ScrimSpectral module: see the module README for its job.
