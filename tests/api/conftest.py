"""Fixtures of the HTTP tests: the world (built once per run through the service) and a client
on a copy of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.world import World, build_world, client_for, copy_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def own_world(world: World, tmp_path: Path) -> World:
    """A copy of the world that a test may change."""
    return copy_world(world, tmp_path)


@pytest.fixture
def client(own_world: World) -> Iterator[TestClient]:
    with client_for(own_world.url) as test_client:
        yield test_client
