"""The one 404 message reads correctly in pt-BR whatever the noun's gender."""

from __future__ import annotations

import pytest

from gtvision.core.errors import NotFound, not_found


@pytest.mark.parametrize("noun", ["cidade", "câmera", "usuário", "mosaico", "recurso"])
def test_not_found_agrees_with_any_noun(noun: str) -> None:
    error = not_found(noun)
    assert isinstance(error, NotFound) and error.status == 404 and error.code == "not_found"
    assert error.message == f"{noun} inexistente"
    assert "encontrado" not in error.message  # "cidade não encontrado" was the old, ungrammatical text
