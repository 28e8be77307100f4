"""The standard tasks the components are proven on (data generators and loaders), shared by the
tests, ``benchmarks/components.py`` and ``python -m networks.demo``. One module per family of
tasks; every generator takes a seed or a generator (numpy's, or torch's for the torch tasks)."""
