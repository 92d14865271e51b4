"""The ``governance-study`` command: check, build, run, verify, variant, extract, coverage, findings, cite, release.

Works on the project that contains the current directory. Bad input ends with a readable message on stderr
and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from governance_study import __version__
from governance_study.errors import DataError
from governance_study.paths import ProjectNotFoundError, ProjectPaths


def _check(args: argparse.Namespace, paths: ProjectPaths) -> int:
    from governance_study.curate.coverage import coverage_rows
    from governance_study.verify.claims import check

    started = time.perf_counter()
    problems = check(paths)
    if not problems:
        # marks in not_curated.csv are checked against the same spans extract sees; a stale one fails here
        problems = coverage_rows(paths)[2]
    if problems:
        raise DataError(problems)
    print(f"ok: raw data valid ({time.perf_counter() - started:.2f} s); nothing written")
    return 0


def _build(args: argparse.Namespace, paths: ProjectPaths) -> int:
    from governance_study.derived.build import build_derived
    from governance_study.lock import project_lock

    started = time.perf_counter()
    with project_lock(paths, "build"):  # the lock `run` takes: one writer of data/derived/ at a time
        files = build_derived(paths)
    print(f"built {len(files)} files into {paths.derived} in {time.perf_counter() - started:.2f} s")
    return 0


def _run(args: argparse.Namespace, paths: ProjectPaths) -> int:
    from governance_study.study import run_study

    return run_study(paths, force=args.force, jobs=args.jobs, only=args.only)


def _verify(args: argparse.Namespace, paths: ProjectPaths) -> int:
    from governance_study.study.reproduce import verify

    verdicts = verify(paths, args.names, jobs=args.jobs)
    return 0 if all(v.reproduces for v in verdicts) else 1


def _variant(args: argparse.Namespace, paths: ProjectPaths) -> int:
    from governance_study.study.variant import VariantFailed, run_variant

    try:
        run_variant(
            paths, args.notebook, [tuple(pair) for pair in args.parameter or []], progress=lambda line: print(line, file=sys.stderr)
        )
    except VariantFailed as exc:
        print(f"governance-study variant: {exc}", file=sys.stderr)
        return 1
    return 0


def _cite(args: argparse.Namespace, paths: ProjectPaths) -> int:
    from governance_study.study.citation import citation_text

    print(citation_text(paths, style=args.format))
    return 0


def _release(args: argparse.Namespace, paths: ProjectPaths) -> int:
    from governance_study.study.release import release

    started = time.perf_counter()
    target = release(paths, progress=lambda message: print(message, file=sys.stderr, flush=True))
    size = target.stat().st_size
    print(f"released {target.relative_to(paths.root)} ({size / 1e6:.2f} MB) in {time.perf_counter() - started:.2f} s")
    return 0


def _extract(args: argparse.Namespace, paths: ProjectPaths) -> int:
    from governance_study.curate.extract import run_extract

    return run_extract(paths, args.paths, fmt=args.format, jobs=args.jobs, out=sys.stdout)


def _coverage(args: argparse.Namespace, paths: ProjectPaths) -> int:
    from governance_study.curate.coverage import run_coverage

    return run_coverage(paths, fmt=args.format, out=sys.stdout)


def _findings(args: argparse.Namespace, paths: ProjectPaths) -> int:
    from governance_study import datasets
    from governance_study.report.findings import findings_markdown, key_findings, readme_with_findings
    from governance_study.study.render import write_text_atomic

    tables = [datasets.load(name, paths) for name in ("claims", "resolution", "participation", "audit")]
    markdown = findings_markdown(key_findings(*tables))
    if not args.readme:
        print(markdown, end="")
        return 0
    readme = paths.root / "README.md"
    updated = readme_with_findings(readme.read_text(encoding="utf-8"), markdown)
    write_text_atomic(readme, updated)
    print(f"README.md: key findings rewritten from {paths.derived}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="governance-study", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"governance-study {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("check", help="validate the raw data (claims, sources, reference, not-curated marks); write nothing").set_defaults(
        func=_check
    )
    sub.add_parser("build", help="rebuild data/derived/ from data/raw/").set_defaults(func=_build)
    run = sub.add_parser("run", help="build, then execute the study (study.yaml) into reports/")
    run.add_argument("--force", action="store_true", help="rerun every report even if its inputs are unchanged")
    run.add_argument("--jobs", type=int, default=2, metavar="N", help="notebooks executed at once (default 2)")
    run.add_argument("--only", action="append", metavar="NAME", help="run only this report (repeatable)")
    run.set_defaults(func=_run)
    extract = sub.add_parser("extract", help="candidate figures in articles, for curation")
    extract.add_argument("paths", nargs="+", metavar="PATH")
    extract.add_argument("--format", choices=["table", "csv"], default="table")
    extract.add_argument("--jobs", type=int, default=1, metavar="N")
    extract.set_defaults(func=_extract)
    coverage = sub.add_parser("coverage", help="per source: numbers found, curated, marked not relevant, left")
    coverage.add_argument("--format", choices=["table", "csv"], default="table")
    coverage.set_defaults(func=_coverage)
    findings = sub.add_parser("findings", help="the key findings, generated from data/derived/ (Markdown)")
    findings.add_argument("--readme", action="store_true", help="rewrite the key findings block of README.md")
    findings.set_defaults(func=_findings)
    verify = sub.add_parser("verify", help="re-execute the published notebooks with nbval: does each report reproduce?")
    verify.add_argument("names", nargs="*", help="report ids, notebook names or globs (default: every report)")
    verify.add_argument("--jobs", type=int, default=2, help="reports verified at once (default 2)")
    verify.set_defaults(func=_verify)
    variant = sub.add_parser("variant", help="render one report with other parameters into reports/variants/ (the study is untouched)")
    variant.add_argument("notebook", help="a notebook of study.yaml, e.g. 02_resolution_rates")
    variant.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help='a parameter and its value (YAML: 0.1, true, "[a, b]")',
    )
    variant.set_defaults(func=_variant)
    cite = sub.add_parser("cite", help="print the citation of this version of the study")
    cite.add_argument("--format", choices=["text", "bibtex", "all"], default="all")
    cite.set_defaults(func=_cite)
    sub.add_parser(
        "release",
        help="run the study, then write dist/governance-study-<version>.zip (data, reports, citation, licences, SHA256SUMS); "
        "refuses a dirty tree, a version without a CHANGELOG.md entry, or a failed report",
    ).set_defaults(func=_release)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        paths = ProjectPaths.discover()
        return args.func(args, paths)
    except DataError as exc:
        print(f"governance-study {args.command}: {exc}", file=sys.stderr)
        return 1
    except (ProjectNotFoundError, FileNotFoundError, ValueError) as exc:
        print(f"governance-study {args.command}: {exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:
        print(
            f"governance-study {args.command}: cannot write {exc.filename or 'a file'} ({exc.strerror}); make the folder "
            "writable (chmod u+w) or run from a copy of the project you own",
            file=sys.stderr,
        )
        return 2
    except MemoryError:
        print(
            f"governance-study {args.command}: out of memory; an input is far larger than the study's files (check "
            "data/raw/ for a file that is not an article)",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:
        print(f"governance-study {args.command}: {exc.strerror or exc} ({exc.filename or 'no file named'})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # data/derived/ and reports/ are replaced atomically, so an interrupt leaves the previous files in place
        print(
            f"governance-study {args.command}: interrupted; the files written before stay as they were, and the next run starts from them",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
