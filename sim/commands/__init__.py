"""One module per command of `python -m sim`; each exposes `main(argv: list[str]) -> int`."""
