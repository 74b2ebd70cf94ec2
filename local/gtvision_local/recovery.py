"""What a crashed (SIGKILLed) previous ``gtvision local up`` leaves behind, handled at the next start.

* pgserver counts the processes using a data directory in ``<pgdata>/.handle_pids.json`` and stops
  PostgreSQL only when the last one leaves; a killed process never leaves, so every later Ctrl-C left
  PostgreSQL running. Dead pids are dropped before the server is opened.
* Functions write scratch files (clip cuts) under ``TMPDIR``; locally that is ``.local/tmp``, emptied at
  each start as Lambda's ``/tmp`` is on a new container, so a worker killed mid-cut leaves nothing.
* moto keeps S3 and SQS in memory; the stack keeps them on disk (``emulator_state.py``) and restores them.
  When that saved state is missing (deleted, or a first start) while PostgreSQL indexes recordings, the
  mismatch is announced loudly at start.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from gtvision.clips import service as clips
from gtvision.recordings import inventory

from .logs import log

PG_HANDLES = ".handle_pids.json"  # pgserver's list of the processes holding the server


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_pg_handles(pgdata: Path) -> list[int]:
    """Drop the pids of processes that died holding the embedded PostgreSQL; returns them."""
    file = pgdata / PG_HANDLES
    try:
        pids = [int(p) for p in json.loads(file.read_text())]
    except (OSError, ValueError, TypeError):
        return []
    dead = [p for p in pids if not _alive(p)]
    if dead:
        file.write_text(json.dumps([p for p in pids if p not in dead]))
        log.warning(
            "uma execução anterior terminou sem parar o PostgreSQL (pid %s): ele será parado no próximo Ctrl-C",
            ", ".join(map(str, dead)),
        )
    return dead


def fresh_scratch(directory: Path) -> int:
    """Empty the functions' scratch directory and make it this process's TMPDIR; returns entries removed."""
    leftovers = list(directory.iterdir()) if directory.exists() else []
    for entry in leftovers:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    if leftovers:
        log.warning("%d arquivo(s) temporário(s) de uma execução interrompida removido(s) de %s", len(leftovers),
                    directory)  # fmt: skip
    os.environ["TMPDIR"] = str(directory)
    tempfile.tempdir = str(directory)
    return len(leftovers)


def announce_lost_emulator_state() -> bool:
    """Warn, when the emulator started without saved state, if PostgreSQL indexes recordings or clips it cannot hold."""
    segments = inventory.any_registered()
    unfinished = clips.count_unfinished()
    if not segments and not unfinished:
        return False
    log.warning(
        "ATENÇÃO: não havia estado salvo do emulador AWS (GTV_LOCAL_DIR/aws ausente: apagado, ou primeiro início "
        "desta versão) — bucket e filas começaram VAZIOS, mas o banco ainda indexa gravações%s. Reprodução, "
        "miniaturas e recortes dessas gravações responderão 404/falharão; recortes pendentes voltam à fila pelo "
        "ClipReconcilerFunction em até GTV_CLIP_STALE_S. Para recomeçar do zero, pare e apague %s.",
        f" e {unfinished} recorte(s) pendente(s)" if unfinished else "",
        "o diretório pgdata em GTV_LOCAL_DIR (.local/pgdata)",
    )
    return True
