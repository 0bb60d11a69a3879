"""HTTP: the local store's signed downloads, and which store is in use (for managers)."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse

from agent.errors import InvalidInputError
from agent.provided import Provided
from shop_api.managers import ManagerOrKeyDep
from storage.base import Storage
from storage.disposition import attachment
from storage.local import EXPORTS_PREFIX, LocalStorage

router = APIRouter(prefix="/files", tags=["files"])

# mypy wants a concrete class for `type[T]`; the key only checks parts with isinstance.
STORAGE = Provided("storage", Storage)  # type: ignore[type-abstract]
"""Where reports are written: a folder, S3 or MinIO."""
StorageDep = Annotated[Storage, Depends(STORAGE.get)]

CONTENT_TYPES = {".csv": "text/csv; charset=utf-8", ".zip": "application/zip"}


@router.get("/exports/{name:path}", response_class=FileResponse)
async def download_export(
    name: str,
    storage: StorageDep,
    expires: Annotated[int, Query(description="Unix time the link stops working")],
    token: Annotated[str, Query(max_length=100)],
    filename: Annotated[str | None, Query(max_length=300)] = None,
) -> FileResponse:
    """An export file through its signed link (local store only): 403 tampered or expired."""
    if not isinstance(storage, LocalStorage):  # s3 and minio links go to their own server
        raise HTTPException(404, "downloads are served by the storage server, not this one")
    key = EXPORTS_PREFIX + name
    if not await storage.verify(key, expires, filename, token):
        raise HTTPException(403, "this download link is not valid: it was changed or not made here")
    if expires < time.time():
        raise HTTPException(403, "this download link has expired: ask for the report again")
    try:
        path = storage.path(key)
    except InvalidInputError as err:
        raise HTTPException(404, "no such file") from err
    if not path.is_file():
        raise HTTPException(404, "the file is no longer kept: ask for the report again")
    media_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return FileResponse(
        path,
        media_type=media_type,
        headers={
            "Content-Disposition": attachment(filename or path.name),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/storage/info")
async def storage_info(storage: StorageDep, requester: ManagerOrKeyDep) -> dict[str, Any]:
    """Which store keeps the reports (backend, folder or bucket, endpoint); never a secret."""
    return asdict(storage.info())
