"""`llmfleet capacity`: text and JSON plans, clear refusal, --recommend against the price catalogue."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from infra.cli import app
from serving.capacity import plan_capacity

runner = CliRunner()


def test_json_has_the_contract_keys_and_matches_the_planner() -> None:
    result = runner.invoke(app, ["capacity", "--model", "llama-3.1-8b", "--gpu", "H100-80GB", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("weightsGiBPerGpu", "kvCacheGiBPerGpu", "kvTokens", "maxConcurrency", "fits"):
        assert key in data
    expected = plan_capacity("llama-3.1-8b", "H100-80GB")
    assert data["kvTokens"] == expected.kv_tokens
    assert data["fits"] is True


def test_text_output_names_the_sizing() -> None:
    result = runner.invoke(app, ["capacity", "-m", "llama-3.1-8b", "-g", "L4", "--max-model-len", "8192"])
    assert result.exit_code == 0, result.output
    assert "llama-3.1-8b on 1x L4" in result.stdout
    assert "8,192 tokens" in result.stdout


def test_a_model_that_cannot_fit_exits_2_with_numbers_and_what_would_fit() -> None:
    result = runner.invoke(app, ["capacity", "--model", "llama-3.1-70b", "--gpu", "L4"])
    assert result.exit_code == 2
    assert "does not fit" in result.output
    assert "GiB" in result.output and "would fit" in result.output


def test_unknown_model_exits_2_with_a_suggestion() -> None:
    result = runner.invoke(app, ["capacity", "--model", "llama-3.1-8", "--gpu", "L4"])
    assert result.exit_code == 2
    assert "llama-3.1-8b" in result.output


def test_recommend_picks_the_cheapest_fitting_instance_from_the_catalogue() -> None:
    result = runner.invoke(
        app,
        [
            "capacity",
            "-m",
            "llama-3.1-8b",
            "-g",
            "L4",
            "--max-model-len",
            "8192",
            "--recommend",
            "--concurrency",
            "16",
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    recommendation = json.loads(result.stdout)["recommendation"]
    options = [o for o in recommendation["options"] if o["fits"]]
    assert recommendation["choice"] == options[0]
    assert all(options[0]["totalHourly"] <= o["totalHourly"] for o in options)
    assert (
        recommendation["choice"]["instances"]
        * recommendation["choice"]["replicasPerInstance"]
        * recommendation["choice"]["concurrencyPerReplica"]
        >= 16
    )


def test_bad_utilization_exits_2() -> None:
    result = runner.invoke(app, ["capacity", "-m", "llama-3.1-8b", "-g", "L4", "--gpu-memory-utilization", "1.5"])
    assert result.exit_code == 2
    assert "--gpu-memory-utilization: 1.5 is not allowed" in result.output


def _prod_comment_commands() -> list[tuple[list[str], str]]:
    """The `llmfleet capacity ...` commands in Pulumi.prod.yaml's comments, each with the number before it."""
    import re
    import shlex
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "Pulumi.prod.yaml").read_text()
    comment = " ".join(line.strip().lstrip("#").strip() for line in text.splitlines() if line.strip().startswith("#"))
    found = re.findall(r"([\d.]+)(?: sequences of 16k tokens)? \(`llmfleet (capacity [^`]+)`\)", comment)
    return [(shlex.split(command), number) for number, command in found]


def test_the_prod_stack_comment_commands_print_what_the_comment_says():
    commands = _prod_comment_commands()
    assert len(commands) == 2
    for argv, number in commands:
        result = runner.invoke(app, argv)
        assert result.exit_code == 0, result.output
        assert f"{_concurrency(result.output):.1f}" == number, (argv, number)


def _concurrency(output: str) -> float:
    import re

    return float(re.search(r"max concurrency\s+([\d.]+)x", output).group(1))


def test_traffic_options_size_replicas_at_peak_and_reject_magic_zeros():
    base = ["capacity", "-m", "llama-3.1-8b", "-g", "L40S", "--max-model-len", "16384"]
    traffic = ["--prompt-tokens", "1500", "--output-tokens", "300", "--requests-per-second", "20", "--itl-ms", "80"]
    result = runner.invoke(app, [*base, *traffic, "--max-num-seqs", "128", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["maxNumSeqs"] == 128 and data["promptTokens"] == 1500 and data["outputTokens"] == 300
    assert data["traffic"]["tpotMs"] <= 80 and data["traffic"]["operatingBatch"] <= 128
    assert data["traffic"]["replicasNeeded"] >= 20 / data["traffic"]["requestsPerSecondPerReplica"]
    for flag, value in (("--max-num-seqs", "0"), ("--prompt-tokens", "0"), ("--requests-per-second", "-1")):
        bad = runner.invoke(app, [*base, flag, value])
        assert bad.exit_code == 2
        assert bad.output.strip().startswith(f"error: {flag}: ") and "Traceback" not in bad.output
    quantized = runner.invoke(app, [*base, "--quantization", "fp8_per_tensor", "--format", "json"])
    assert json.loads(quantized.output)["weightDtype"] == "fp8"


def test_the_serving_readme_capacity_command_runs_as_written():
    import shlex
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "serving" / "README.md").read_text()
    commands = [line for line in readme.splitlines() if line.startswith("llmfleet capacity ")]
    assert commands
    for line in commands:
        result = runner.invoke(app, shlex.split(line)[1:])
        assert result.exit_code == 0, (line, result.output)
        assert "replica(s), each running" in result.output
