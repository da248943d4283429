"""Each strategy's module runs alone (``python -m course_lib.parallel <module>``) and shows agreement."""

from __future__ import annotations

import re

import pytest


def _run(module: str, capsys: pytest.CaptureFixture[str]) -> str:
    from course_lib.parallel.__main__ import main

    assert main([module]) == 0
    return capsys.readouterr().out


def _numbers(pattern: str, text: str) -> list[float]:
    found = [float(x) for x in re.findall(pattern, text)]
    assert found, f"no match for {pattern!r} in:\n{text}"
    return found


@pytest.mark.timeout(120)
@pytest.mark.filterwarnings("error:.*found in sys.modules:RuntimeWarning")  # no runpy double-import warning
def test_module_demos_agree_with_their_references(capsys):
    out = _run("ring", capsys)
    assert max(_numbers(r"all_reduce\| = ([0-9.e+-]+)", out)) < 1e-5
    for sent, predicted in re.findall(r"rank \[(\d+)[^\]]*\] \(2\(N-1\)/N·S = (\d+)\)", out):
        assert sent == predicted
    assert max(_numbers(r"max parameter difference ([0-9.e+-]+)", _run("ddp", capsys))) < 1e-6
    out = _run("zero", capsys)
    shares = [tuple(map(int, m)) for m in re.findall(r"AdamW state (\d+) bytes of (\d+)", out)]
    assert len(shares) == 2 and sum(s for s, _ in shares) == shares[0][1]
    assert max(_numbers(r"([0-9.]+e-\d+|0\.0)", _run("tensor_parallel", capsys))) < 1e-5
    assert max(_numbers(r"([0-9.]+e-\d+|0\.0)", _run("expert_parallel", capsys))) < 1e-5
    rows = [line.split() for line in _run("pipeline", capsys).splitlines()[1:]]
    assert rows and all(r[2] == r[3] == r[4] for r in rows)
    assert "ZeRO-3" in _run("planner", capsys)
    assert len(_numbers(r"bus bandwidth ([0-9.]+) GB/s", _run("collectives", capsys))) == 7
