"""FastAPI dependencies shared by the route modules: database session, settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from exam_server.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    """Yield a session for one request; uncommitted work is rolled back."""
    with request.app.state.session_factory() as session:
        yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
