"""The `llmfleet` command. Only the Typer app lives here: every command is a thin wrapper
over a library function, and LlmFleetError is turned into one error line and an exit code.

Exit codes everywhere: 0 ok; 1 mandatory policy violations (or, for --check, "behind");
2 bad input (config or arguments).
"""

from __future__ import annotations

import functools
import json
import sys
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from infra.capacity_cli import CAPACITY_HELP
from serving.errors import LlmFleetError

app = typer.Typer(
    name="llmfleet",
    help="Plan, check, cost and render an llm-fleet stack offline (no cloud credentials, no Pulumi CLI).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

ProjectDir = Annotated[
    Path | None,
    typer.Option("--project-dir", "-C", help="Directory holding Pulumi.yaml (default: nearest one above the cwd)."),
]


def handles_errors(fn: F) -> F:
    """Turn the project's one exception type into `error: ...` on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LlmFleetError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", markup=True)
            raise typer.Exit(getattr(exc, "exit_code", 2)) from None

    return wrapper  # type: ignore[return-value]


def load_plan(source: str, project_dir: Path | None = None) -> Any:
    """A Plan from a stack name (evaluated offline) or a Plan JSON file."""
    from infra.plan import Plan, evaluate_stack

    if source.endswith(".json"):
        return Plan.load(Path(source))
    return evaluate_stack(source, project_dir)


def write_or_print(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)  # atomic: a reader never sees half a file
    err_console.print(f"wrote {out}")


# ---------------------------------------------------------------------------
# plan
# ---------------------------------------------------------------------------


def summary_table(plan: Any) -> Table:
    """Resources per target and type (components included, providers left out)."""
    counts: Counter[tuple[str, str]] = Counter()
    for resource in plan.resources:
        if resource.type.startswith("pulumi:providers:"):
            continue
        counts[(plan.target_of(resource) or "(stack)", resource.type)] += 1
    table = Table(title=f"llm-fleet plan: stack '{plan.stack}'", show_lines=False)
    table.add_column("target")
    table.add_column("resource type")
    table.add_column("count", justify="right")
    for (target, rtype), count in sorted(counts.items()):
        table.add_row(target, rtype, str(count))
    return table


def plan_footer(plan: Any) -> tuple[list[str], int]:
    """Policy and cost lines of the plan summary, and the exit code the policy implies."""
    lines: list[str] = []
    exit_code = 0
    try:
        from policy.engine import evaluate_plan, policy_summary_line
    except ImportError:
        pass
    else:
        report = evaluate_plan(plan.to_json())
        lines.append(policy_summary_line(report))
        exit_code = report.exit_code
    try:
        from policy.cost import cost_summary_line, estimate_cost
    except ImportError:
        pass
    else:
        lines.append(cost_summary_line(estimate_cost(plan.to_json())))
    return lines, exit_code


@app.command()
@handles_errors
def plan(
    stack: Annotated[str, typer.Argument(help="Stack name: reads Pulumi.STACK.yaml.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the Plan JSON here.")] = None,
    project_dir: ProjectDir = None,
) -> None:
    """Evaluate the program for a stack offline and summarise it; --out writes the Plan JSON."""
    from infra.plan import evaluate_stack

    result = evaluate_stack(stack, project_dir)
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


@app.command()
@handles_errors
def policy(
    source: Annotated[str, typer.Argument(help="Stack name or a Plan JSON file.")],
    format: Annotated[PolicyFormat, typer.Option("--format", "-f", help="Report format.")] = PolicyFormat.text,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report here.")] = None,
    project_dir: ProjectDir = None,
) -> None:
    """Evaluate every policy rule; exit 1 on unsuppressed mandatory findings."""
    from policy.engine import evaluate_plan

    report = evaluate_plan(load_plan(source, project_dir).to_json())
    if format is PolicyFormat.text:
        text = report.to_text()
    elif format is PolicyFormat.json:
        text = json.dumps(report.to_json(), indent=2, sort_keys=True)
    else:
        text = json.dumps(report.to_sarif(), indent=2, sort_keys=True)
    write_or_print(text, out)
    raise typer.Exit(report.exit_code)


@app.command()
@handles_errors
def cost(
    source: Annotated[str, typer.Argument(help="Stack name or a Plan JSON file.")],
    format: Annotated[CostFormat, typer.Option("--format", "-f", help="Report format.")] = CostFormat.text,
    project_dir: ProjectDir = None,
) -> None:
    """Monthly cost of a stack: floor (pools at minimum), expected and ceiling (pools at maximum)."""
    from policy.cost import estimate_cost

    report = estimate_cost(load_plan(source, project_dir).to_json())
    text = report.to_text() if format is CostFormat.text else json.dumps(report.to_json(), indent=2, sort_keys=True)
    write_or_print(text, None)


# ---------------------------------------------------------------------------
# capacity
# ---------------------------------------------------------------------------


@app.command()
@handles_errors
def capacity(
    model: Annotated[
        str, typer.Option("--model", "-m", help="Architecture id from the serving catalogue, e.g. llama-3.1-8b.")
    ],
    gpu: Annotated[str, typer.Option("--gpu", "-g", help="GPU type id, e.g. L4, L40S, H100-80GB.")],
    tp: Annotated[
        int | None, typer.Option("--tp", help="Tensor-parallel size (default: the smallest that fits).")
    ] = None,
    max_model_len: Annotated[
        int | None, typer.Option("--max-model-len", help="Longest sequence, tokens (default: native context).")
    ] = None,
    kv_cache_dtype: Annotated[str, typer.Option("--kv-cache-dtype", help="auto, fp8, fp8_e4m3 or fp8_e5m2.")] = "auto",
    gpu_memory_utilization: Annotated[
        float, typer.Option("--gpu-memory-utilization", help="Share of GPU memory vLLM may use (0-1).")
    ] = 0.9,
    recommend: Annotated[
        bool, typer.Option("--recommend", help="Also pick the cheapest instance type that fits.")
    ] = False,
    concurrency: Annotated[int | None, typer.Option("--concurrency", help=CAPACITY_HELP["concurrency"])] = None,
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
    from infra.capacity_cli import capacity_command

    text = capacity_command(
        model=model,
        gpu=gpu,
        tp=tp,
        max_model_len=max_model_len,
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


@app.command()
@handles_errors
def render(
    stack: Annotated[str, typer.Argument(help="Stack name or a Plan JSON file.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory to write manifests into (one folder per cluster target).")
    ],
    project_dir: ProjectDir = None,
) -> None:
    """Write every Kubernetes object of the stack as YAML, one folder per cluster target."""
    from infra.render import render_plan

    written = render_plan(load_plan(stack, project_dir), out)
    console.print(f"wrote {len(written)} files under {out}")


@app.command()
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


@app.command()
@handles_errors
def schema() -> None:
    """Print the JSON Schema of the stack configuration (keys under 'llm-fleet:')."""
    from infra.config import json_schema

    write_or_print(json.dumps(json_schema(), indent=2, sort_keys=True), None)


@app.command()
@handles_errors
def report(
    source: Annotated[str, typer.Argument(help="Stack name or a Plan JSON file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")],
    project_dir: ProjectDir = None,
) -> None:
    """Write one self-contained HTML page: fleet map, findings, cost and capacity."""
    from infra.report import build_report

    write_or_print(build_report(load_plan(source, project_dir)), out)


def main() -> None:  # pragma: no cover - console script shim
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
