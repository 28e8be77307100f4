"""Deep models as torch ``nn.Module``s, one family per module, shapes in every ``forward``
docstring."""
