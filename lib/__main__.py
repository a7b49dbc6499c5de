"""Command line: ``python -m lib <command> [args]``.

    run     execute one chapter with a profile and parameter overrides   (lib.pipeline.run)
    paper   regenerate the paper-profile bundles                          (lib.pipeline.paper)
    stash   save, restore, prune or list the committed stash              (lib.pipeline.stash)
    bench   benchmark the engines                                         (lib.bench.record)
"""
import importlib
import sys

COMMANDS = {"run": "lib.pipeline.run", "paper": "lib.pipeline.paper", "stash": "lib.pipeline.stash",
            "bench": "lib.bench.record"}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
