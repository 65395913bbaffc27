"""Container image references as the container runtime reads them (registry, repository, tag, digest).

Follows the distribution reference grammar: the first path component is a registry host only when it has a
"." or ":" or is "localhost"; otherwise the image comes from Docker Hub (docker.io).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class ImageRef:
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def pinned_by_digest(self) -> bool:
        algorithm, _, encoded = (self.digest or "").partition(":")
        return bool(algorithm) and len(encoded) >= 32


def parse_image(image: str) -> ImageRef:
    name, _, digest = image.strip().partition("@")
    last_slash = name.rfind("/")
    tag = None
    if ":" in name[last_slash + 1 :]:
        name, _, tag = name.rpartition(":")
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first.lower(), rest
    else:
        registry, repository = DOCKER_HUB, name if "/" in name else f"library/{name}"
    return ImageRef(registry, repository, tag or None, digest or None)


def registry_allowed(ref: ImageRef, patterns: Iterable[str]) -> bool:
    """Patterns are globs on the registry host, or on ``host/repository`` when they contain a "/"."""
    for pattern in patterns:
        subject = f"{ref.registry}/{ref.repository}" if "/" in pattern else ref.registry
        if fnmatch.fnmatchcase(subject, pattern.lower() if "/" not in pattern else pattern):
            return True
    return False
