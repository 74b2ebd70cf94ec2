"""The console's one parser of typed dates, times and decimals (format.js) and its Portuguese reading of API
errors (errors.js), run as the ES modules the browser loads (Node), without a browser."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

CONSOLE = Path(__file__).resolve().parents[2] / "functions" / "api" / "chalicelib" / "console"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node não instalado: módulos do console testados no navegador")


def run(script: str) -> object:
    """Evaluate `script` (an expression using the modules `f` = format.js, `e` = errors.js) in Node."""
    program = (
        f"const f = await import({json.dumps((CONSOLE / 'format.js').as_uri())});"
        f"const e = await import({json.dumps((CONSOLE / 'errors.js').as_uri())});"
        f"f.setZone('America/Sao_Paulo'); console.log(JSON.stringify({script}));"
    )
    assert NODE is not None
    out = subprocess.run([NODE, "--input-type=module", "-e", program], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_days_and_clocks_are_read_the_brazilian_way_and_impossible_ones_are_refused() -> None:
    got = run(
        "['07/12/2026', '7/1/2026', '2026-12-07', '31/02/2026', '12/31/2026', '07-12-2026', '', 'hoje'].map(f.parseDay)"
    )
    assert got == [[2026, 12, 7], [2026, 1, 7], [2026, 12, 7], None, None, None, None, None]
    clocks = run("['14:05', '14:05:09', '9:05:00', '24:00', '12:60', '12:00:60', '1405'].map(f.parseClock)")
    assert clocks == [[14, 5, 0], [14, 5, 9], [9, 5, 0], None, None, None, None]


def test_a_typed_instant_is_the_citys_wall_clock_whatever_the_browser() -> None:
    # 07/12/2026 14:05:09 in São Paulo (UTC−3) is 17:05:09Z; the older links' ISO form reads the same
    typed = "['07/12/2026 14:05:09', '07/12/2026 14:05', '2026-12-07T14:05:09', '07/12/2026', '31/02/2026 10:00']"
    got = run(f"{typed}.map(v => {{ const d = f.parseLocal(v); return d && d.toISOString(); }})")
    assert got == ["2026-12-07T17:05:09.000Z", "2026-12-07T17:05:00.000Z", "2026-12-07T17:05:09.000Z", None, None]
    # and what a field shows round-trips
    assert run("f.inputDateTime(f.parseLocal('07/12/2026 14:05:09'))") == "07/12/2026 14:05:09"
    assert run("f.inputDay(new Date('2026-12-07T17:05:09Z'))") == "07/12/2026"


def test_decimals_take_a_comma_or_a_point_and_nothing_ambiguous() -> None:
    typed = "['-22,9056', '-22.9056', ' -43,17 ', '−22,5', '10', ',5', '1.234,5', '22,9,1', 'abc', '']"
    got = run(f"{typed}.map(f.parseDecimal).map(n => Number.isNaN(n) ? null : n)")
    assert got == [-22.9056, -22.9056, -43.17, -22.5, 10, 0.5, None, None, None, None]


def test_api_validation_errors_are_explained_in_portuguese_by_field_label() -> None:
    error = {
        "code": "validation_error",
        "message": "dados inválidos — location.lat: Input should be greater than or equal to -90; "
        "name: Field required; camera_ids.3: String should match pattern '^[0-9a-f-]+$'; "
        "retention_days: Input should be 7, 15 or 30",
    }
    said = run(f"e.explain({json.dumps(error)})")
    assert said == (
        "Verifique os campos: Latitude: deve ser no mínimo -90; Nome: é obrigatório; Câmeras: está em formato "
        "inválido; Plano (retenção): deve ser 7, 15 ou 30."
    )
    query = {"code": "invalid_from", "message": "parâmetro 'from' inválido: Input should be a valid datetime"}
    assert run(f"e.explain({json.dumps(query)})") == "Verifique os campos: De: deve ser uma data e hora válida."
    # the API's own pt-BR messages pass unchanged
    plain = {"code": "too_many_cameras", "message": "o layout 2x2 comporta 4 câmera(s) por página"}
    assert run(f"e.explain({json.dumps(plain)})") == plain["message"]
