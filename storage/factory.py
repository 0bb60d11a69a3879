"""Builds the file store STORAGE_BACKEND names, from its settings."""

from __future__ import annotations

from agent.settings import Settings
from storage.base import Storage
from storage.local import LocalStorage
from storage.minio import MinioStorage
from storage.s3 import S3Storage


def build_storage(settings: Settings) -> Storage:
    """The configured store; `ConfigurationError` names a missing or refused variable."""
    if settings.storage_backend == "s3":
        return S3Storage.from_settings(settings)
    if settings.storage_backend == "minio":
        return MinioStorage.from_settings(settings)
    return LocalStorage.from_settings(settings)
