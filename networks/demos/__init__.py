"""Short demonstrations, one module per demo, each with ``main(out_dir, quick=False) -> Path``
that saves one picture and returns its path. Run them with ``python -m networks.demo NAME``."""
