"""The core run without the CLI: nothing is sent before every local check passes; order and checkpoints."""

from datetime import UTC, date, datetime

import pytest

from authoring import pipeline, store
from authoring.errors import InvalidIdError, StoreError
from authoring.models import Digest
from tools.standin import StandIn

DAY = date(2024, 10, 8)


def _clock():
    return datetime(2030, 1, 1, tzinfo=UTC)


def test_malformed_id_is_never_sent(settings):
    with StandIn() as stand_in:
        local = settings.replace(arxiv_api_url=f"{stand_in.url}/api/query", base_url=f"{stand_in.url}/v1")
        with pytest.raises(InvalidIdError, match="'2410.05258x'"):
            pipeline.create_digest(DAY, ["2410.02707", "2410.05258x"], local, clock=_clock)
    assert stand_in.log == []
    assert not local.output_dir.exists()


def test_existing_day_is_refused_before_any_request(settings):
    store.save_digest(settings.output_dir, DAY, Digest(date="2024-10-08"))
    with StandIn() as stand_in:
        local = settings.replace(arxiv_api_url=f"{stand_in.url}/api/query")
        with pytest.raises(StoreError, match="already exists with other papers; pass --force"):
            pipeline.create_digest(DAY, ["2410.02707"], local, clock=_clock)
    assert stand_in.log == []
