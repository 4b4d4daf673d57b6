"""The `llmfleet` command. Only the Typer app lives here: every command is a thin wrapper
over a library function; infra.cli_errors turns every failure into one error line and an
exit code, and infra.outputs checks and writes output files.

Exit codes everywhere: 0 ok; 1 mandatory policy violations (or, for --check, "behind");
2 bad input (config, file, arguments or environment); 3 internal error (a bug).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from infra.capacity_cli import CAPACITY_HELP
from infra.cli_errors import EXIT_CODES, OneLineErrorsGroup, err_console, handles_errors
from infra.outputs import check_output_dir, check_output_file, write_file_atomically
from infra.plan_summary import plan_footer, summary_table
from infra.progress import current as current_progress
from infra.progress import progress

app = typer.Typer(
    name="llmfleet",
    cls=OneLineErrorsGroup,
    help="Plan, check, cost and render an llm-fleet stack offline (no cloud credentials, no Pulumi CLI).",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
console = Console(highlight=False, soft_wrap=True, markup=False)

ProjectDir = Annotated[
    Path | None,
    typer.Option("--project-dir", "-C", help="Directory holding Pulumi.yaml (default: nearest one above the cwd)."),
]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress on stderr (it is shown only on a terminal anyway).")
]
NoCache = Annotated[
    bool,
    typer.Option("--no-cache", help="Evaluate the program even if the cache holds the Plan of these exact inputs."),
]


def _version(value: bool) -> None:
    if value:
        try:
            version = metadata.version("llm-fleet")
        except metadata.PackageNotFoundError:
            version = "unknown (not installed)"
        console.print(f"llmfleet {version}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Plan, check, cost and render an llm-fleet stack offline (no cloud credentials, no Pulumi CLI)."""


def load_plan(source: str, project_dir: Path | None = None, no_cache: bool = False) -> Any:
    """A Plan from a stack name (the cached Plan of unchanged inputs, else evaluated offline) or a Plan JSON file."""
    from infra.plan import Plan
    from infra.plan_cache import plan_of_stack

    if source.endswith(".json") or "/" in source:
        current_progress().phase(f"reading {source}")
        return Plan.load(Path(source))
    return plan_of_stack(source, project_dir, use_cache=not no_cache)


def write_or_print(text: str, out: Path | None) -> None:
    """stdout, or ``out`` written atomically (checked with check_output_file before the work)."""
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    write_file_atomically(out, text)
    err_console.print(f"wrote {out}")


# ---------------------------------------------------------------------------
# plan
# ---------------------------------------------------------------------------


@app.command(epilog=EXIT_CODES)
@handles_errors
def plan(
    stack: Annotated[str, typer.Argument(help="Stack name: reads Pulumi.STACK.yaml.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the Plan JSON here.")] = None,
    project_dir: ProjectDir = None,
    no_cache: NoCache = False,
    quiet: Quiet = False,
) -> None:
    """Evaluate the program for a stack offline and summarise it; --out writes the Plan JSON."""
    from infra.plan_cache import plan_of_stack

    if out is not None:
        check_output_file(out)
    with progress(quiet):
        result = plan_of_stack(stack, project_dir, use_cache=not no_cache)
    console.print(summary_table(result))
    total = sum(1 for r in result.resources if not r.type.startswith("pulumi:providers:"))
    console.print(f"{total} resources in {len({result.target_of(r) for r in result.resources} - {None})} targets")
    footer, exit_code = plan_footer(result)
    for line in footer:
        console.print(line)
    if out is not None:
        write_or_print(result.dumps(), out)
    raise typer.Exit(exit_code)


# ---------------------------------------------------------------------------
# policy, cost
# ---------------------------------------------------------------------------


class PolicyFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


class CostFormat(StrEnum):
    text = "text"
    json = "json"


@app.command(epilog=EXIT_CODES)
@handles_errors
def policy(
    source: Annotated[str, typer.Argument(help="Stack name or a Plan JSON file.")],
    format: Annotated[PolicyFormat, typer.Option("--format", "-f", help="Report format.")] = PolicyFormat.text,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report here.")] = None,
    project_dir: ProjectDir = None,
    no_cache: NoCache = False,
    quiet: Quiet = False,
) -> None:
    """Evaluate every policy rule; exit 1 on unsuppressed mandatory findings."""
    if out is not None:
        check_output_file(out)
    with progress(quiet) as status:
        plan_json = load_plan(source, project_dir, no_cache).to_json()
        status.phase("checking rules")
        from policy.engine import evaluate_plan

        report = evaluate_plan(plan_json)
        if format is PolicyFormat.text:
            text = report.to_text()
        elif format is PolicyFormat.json:
            text = json.dumps(report.to_json(), indent=2, sort_keys=True)
        else:
            text = json.dumps(report.to_sarif(), indent=2, sort_keys=True)
    write_or_print(text, out)  # after the status line is gone: nothing interleaves
    raise typer.Exit(report.exit_code)


@app.command(epilog=EXIT_CODES)
@handles_errors
def cost(
    source: Annotated[str, typer.Argument(help="Stack name or a Plan JSON file.")],
    format: Annotated[CostFormat, typer.Option("--format", "-f", help="Report format.")] = CostFormat.text,
    project_dir: ProjectDir = None,
    no_cache: NoCache = False,
    quiet: Quiet = False,
) -> None:
    """Monthly cost of a stack: floor (pools at minimum), expected and ceiling (pools at maximum)."""
    with progress(quiet) as status:
        plan_json = load_plan(source, project_dir, no_cache).to_json()
        status.phase("pricing")
        from policy.cost import estimate_cost

        report = estimate_cost(plan_json)
        text = report.to_text() if format is CostFormat.text else json.dumps(report.to_json(), indent=2, sort_keys=True)
    write_or_print(text, None)


# ---------------------------------------------------------------------------
# capacity
# ---------------------------------------------------------------------------


@app.command(epilog=EXIT_CODES)
@handles_errors
def capacity(
    model: Annotated[
        str, typer.Option("--model", "-m", help="Architecture id from the serving catalogue, e.g. llama-3.1-8b.")
    ],
    gpu: Annotated[str, typer.Option("--gpu", "-g", help="GPU type id, e.g. L4, L40S, H100-80GB.")],
    tp: Annotated[
        int | None, typer.Option("--tp", min=1, max=64, help="Tensor-parallel size (default: the smallest that fits).")
    ] = None,
    max_model_len: Annotated[
        str,
        typer.Option(
            "--max-model-len",
            metavar="TOKENS|native",
            help="Longest sequence in tokens (256 or more), or 'native' for the model's native context.",
        ),
    ] = "native",
    kv_cache_dtype: Annotated[str, typer.Option("--kv-cache-dtype", help="auto, fp8, fp8_e4m3 or fp8_e5m2.")] = "auto",
    gpu_memory_utilization: Annotated[
        float, typer.Option("--gpu-memory-utilization", help="Share of GPU memory vLLM may use (0-1).")
    ] = 0.9,
    recommend: Annotated[
        bool, typer.Option("--recommend", help="Also pick the cheapest instance type that fits.")
    ] = False,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", min=1, max=1_000_000, help=CAPACITY_HELP["concurrency"])
    ] = None,
    format: Annotated[CostFormat, typer.Option("--format", "-f", help="Output format.")] = CostFormat.text,
    max_num_seqs: Annotated[int | None, typer.Option("--max-num-seqs", help=CAPACITY_HELP["max_num_seqs"])] = None,
    quantization: Annotated[str | None, typer.Option("--quantization", help=CAPACITY_HELP["quantization"])] = None,
    prompt_tokens: Annotated[int | None, typer.Option("--prompt-tokens", help=CAPACITY_HELP["prompt_tokens"])] = None,
    output_tokens: Annotated[int | None, typer.Option("--output-tokens", help=CAPACITY_HELP["output_tokens"])] = None,
    requests_per_second: Annotated[
        float | None, typer.Option("--requests-per-second", help=CAPACITY_HELP["requests_per_second"])
    ] = None,
    shared_prefix_percent: Annotated[
        float | None, typer.Option("--shared-prefix-percent", help=CAPACITY_HELP["shared_prefix_percent"])
    ] = None,
    itl_ms: Annotated[float | None, typer.Option("--itl-ms", help=CAPACITY_HELP["itl_ms"])] = None,
    ttft_ms: Annotated[float | None, typer.Option("--ttft-ms", help=CAPACITY_HELP["ttft_ms"])] = None,
) -> None:
    """Size one model server: weights, KV cache, max concurrency, decode speed; with traffic, replicas at peak."""
    from infra.capacity_cli import capacity_command, parse_max_model_len

    text = capacity_command(
        model=model,
        gpu=gpu,
        tp=tp,
        max_model_len=parse_max_model_len(max_model_len),
        kv_cache_dtype=kv_cache_dtype,
        gpu_memory_utilization=gpu_memory_utilization,
        recommend=recommend,
        concurrency=concurrency,
        as_json=format is CostFormat.json,
        max_num_seqs=max_num_seqs,
        quantization=quantization,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        requests_per_second=requests_per_second,
        shared_prefix_percent=shared_prefix_percent,
        itl_ms=itl_ms,
        ttft_ms=ttft_ms,
    )
    write_or_print(text, None)


# ---------------------------------------------------------------------------
# render, promote, schema, report
# ---------------------------------------------------------------------------


@app.command(epilog=EXIT_CODES)
@handles_errors
def render(
    stack: Annotated[str, typer.Argument(help="Stack name or a Plan JSON file.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory to write manifests into (one folder per cluster target).")
    ],
    project_dir: ProjectDir = None,
    no_cache: NoCache = False,
    quiet: Quiet = False,
) -> None:
    """Write every Kubernetes object of the stack as YAML, one folder per cluster target.

    OUT must be a new or empty folder, or one an earlier render wrote (its files are replaced;
    files it did not write are refused up front)."""
    from infra.render import render_plan

    check_output_dir(out)
    with progress(quiet) as status:
        plan = load_plan(stack, project_dir, no_cache)
        status.phase(f"writing manifests under {out}")
        written = render_plan(plan, out)
    console.print(f"wrote {len(written)} files under {out}")


@app.command(epilog=EXIT_CODES)
@handles_errors
def promote(
    src: Annotated[str, typer.Argument(help="Source stack, e.g. dev.")],
    dst: Annotated[str, typer.Argument(help="Destination stack, e.g. prod.")],
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if DST is behind SRC.")] = False,
    image_digest: Annotated[
        str | None, typer.Option("--image-digest", help="Digest to promote when SRC builds its image (sha256:...).")
    ] = None,
    project_dir: ProjectDir = None,
) -> None:
    """Carry promotable settings (image digest, model revisions) from SRC to DST; print the diff."""
    from infra.promote import promote_stacks

    result = promote_stacks(src, dst, check=check, image_digest=image_digest, project_dir=project_dir)
    if result.diff:
        console.print(result.diff, markup=False)
    console.print(result.message)
    raise typer.Exit(result.exit_code)


@app.command(epilog=EXIT_CODES)
@handles_errors
def schema(
    stack_file: Annotated[
        bool,
        typer.Option(
            "--stack-file",
            help="Schema of a whole Pulumi.<stack>.yaml (config: wrapper, 'llm-fleet:' keys) for editors; "
            "see docs/configuration.md for the one-line set-up.",
        ),
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the schema here.")] = None,
) -> None:
    """Print the JSON Schema of the stack configuration (keys under 'llm-fleet:'); --stack-file: of a stack file."""
    from infra.config import json_schema
    from infra.schema import stack_file_schema

    if out is not None:
        check_output_file(out)
    document = stack_file_schema() if stack_file else json_schema()
    write_or_print(json.dumps(document, indent=2, sort_keys=True) + "\n", out)


@app.command(epilog=EXIT_CODES)
@handles_errors
def report(
    source: Annotated[str, typer.Argument(help="Stack name or a Plan JSON file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")],
    project_dir: ProjectDir = None,
    no_cache: NoCache = False,
    quiet: Quiet = False,
) -> None:
    """Write one self-contained HTML page: fleet map, findings, cost and capacity."""
    check_output_file(out)
    with progress(quiet) as status:
        plan = load_plan(source, project_dir, no_cache)
        status.phase("checking rules and building the report")
        from infra.report import build_report

        page = build_report(plan)
    write_or_print(page, out)


def main() -> None:
    """The `llmfleet` console script: one short-lived process per command.

    Such a process needs neither Python's cyclic garbage collector nor its teardown: with the
    provider SDKs loaded they cost a third of a cold `llmfleet policy prod` (the collector
    re-scanning a million long-lived objects; freeing them one by one at exit). Without the
    collector only cyclic garbage waits (~10 MB on prod); output is flushed before exiting.
    The in-process entry (``app``, used by tests and library callers) keeps both.
    """
    gc.disable()
    try:
        app()
    except SystemExit as stop:
        _exit_now(stop.code)
    _exit_now(0)


def _exit_now(code: object) -> NoReturn:
    """``sys.exit(code)`` without the interpreter's teardown (every file we write is closed already)."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: the status still tells
            stream.flush()
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    main()
