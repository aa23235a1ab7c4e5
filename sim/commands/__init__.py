"""One module per command of `python -m sim`; each exposes `main(argv: list[str]) -> int`.

The top layer. A command's `main` imports the layers below it inside the function, not at the
top of the module: `python -m sim <command> --help` and a usage error must answer without
loading pandas, pyarrow, Mesa or Hydra (tests/test_startup.py), and the modules that do the work
import them at their top. Every other layer imports at the top of its files (tests/test_layers.py).
"""
