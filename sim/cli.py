"""`python -m sim <command> [arguments]`: one entry point, one module per command.

Each command lives in ``sim/commands/<name>.py`` and exposes ``main(argv) -> int``. Modules are
imported only when their command runs, so `--help` and `list` stay fast.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, str] = {
    "run": "run a scenario: python -m sim run scenario=<name> [hydra overrides]",
    "sweep": "run a named experiment: python -m sim sweep experiment=<name> [overrides]",
    "analyze": "tables of escalation probabilities, time to escalation, thresholds: analyze <dir>",
    "plot": "draw every figure that suits a results directory, and report.html: plot <dir>",
    "compare": "set several scenario runs side by side: compare <dir> <dir> ...",
    "validate": "check the model against the source analysis and theory: validate [quick=true]",
    "events": "hold a run's event log against ICEWS/GDELT/CSV events: events compare <run> <file>",
    "discover": "scenario discovery (PRIM) on a sweep: discover <dir> rung=4 month=120",
    "ablate": "switch each mechanism off in turn: ablate scenario=<name> [overrides]",
    "policy": "search partners' commitments for robust low-risk policies: policy experiment=<name>",
    "threshold": "where a risk crosses a level, found adaptively: threshold factor=<p> outcome=...",
    "calibrate": "infer uncertain parameters from observed facts: calibrate targets=<name>",
    "score": "score forecasts of the facts after a cut-off against naive ones: score facts=<name>",
    "list": "list the scenarios and experiments, one line each, and where each is from",
    "app": "an interactive app in the browser (needs the `viz` extra): app [--port N]",
}
SEARCH_PATH_FLAG = "--search-path"


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: python -m sim [--search-path DIR] <command> [arguments]", "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, text in COMMANDS.items()]
    lines += [
        "",
        "--search-path DIR (repeatable, anywhere on the line) adds your own scenarios",
        "(DIR/scenario/*.yaml) and experiments (DIR/experiments/*.yaml) to the built-in ones.",
        "python -m sim <command> --help shows a command's own options.",
    ]
    return "\n".join(lines)


def take_search_path(argv: list[str]) -> tuple[list[str], list[str]]:
    """Split `--search-path DIR` / `--search-path=DIR` out of argv: (folders, the rest)."""
    folders, rest = [], []
    arguments = iter(argv)
    for argument in arguments:
        if argument == SEARCH_PATH_FLAG:
            folders.append(next(arguments, ""))
        elif argument.startswith(SEARCH_PATH_FLAG + "="):
            folders.append(argument.split("=", 1)[1])
        else:
            rest.append(argument)
    return folders, rest


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folders, argv = take_search_path(list(argv))
    if folders:
        from sim.config import ConfigError, add_user_folder

        try:
            for folder in folders:
                add_user_folder(folder)
        except ConfigError as error:
            print(f"python -m sim: error: {error}", file=sys.stderr)
            return 2
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(
            f"python -m sim: error: unknown command {command!r}; "
            f"choose one of: {', '.join(COMMANDS)}",
            file=sys.stderr,
        )
        return 2
    if command == "sweep":  # its worker pool imports the model while the command imports
        from sim.commands.sweep_pool import start_pool_early

        start_pool_early(rest)
    from sim.errors import one_line_errors, sigterm_as_interrupt

    module = importlib.import_module(f"sim.commands.{command}")
    try:
        with sigterm_as_interrupt():  # a scheduler's SIGTERM is handled like Ctrl-C
            return one_line_errors(f"python -m sim {command}", lambda: int(module.main(rest) or 0))
    except BrokenPipeError:  # e.g. `python -m sim list | head`: the reader left, not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM; staged output has been removed
        print(f"\npython -m sim {command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
