"""ownvoice app layer: the CLI and the Qt GUI over the same core functions."""
