"""``make vendor``: copy the pinned front-end libraries from the npm registry into the tree.

The versions are pinned in one place, ``package.json``'s ``"vendored"`` map. ``npm pack``
downloads each package's tarball (checked against the registry's integrity hash; no install
script runs, no dependency is fetched) and the files the pages serve are copied, with the
package's licences, to the folder below. The copies are committed, so serving the app never
needs npm or another host; run this only to change a version.
"""

import fnmatch
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
STATIC_VENDOR = REPOSITORY / "api" / "web" / "static" / "vendor"
TEST_VENDOR = REPOSITORY / "tests" / "web" / "vendor"


@dataclass(frozen=True)
class Library:
    """Where a package's files go, and which (glob patterns inside the package; a leading
    ``root/`` is dropped from the copy, so ``dist/leaflet.js`` lands as ``leaflet.js``)."""

    folder: Path
    files: tuple[str, ...]
    root: str = ""


LIBRARIES = {
    "htmx.org": Library(STATIC_VENDOR / "htmx", ("LICENSE", "dist/htmx.min.js"), root="dist"),
    "leaflet": Library(
        STATIC_VENDOR / "leaflet",
        ("LICENSE", "dist/leaflet.js", "dist/leaflet.css", "dist/images/*.png"),
        root="dist",
    ),
    "swagger-ui-dist": Library(
        STATIC_VENDOR / "swagger-ui",
        (
            "LICENSE",
            "NOTICE",
            "swagger-ui-bundle.js",
            "swagger-ui-bundle.js.LICENSE.txt",
            "swagger-ui.css",
            "favicon-32x32.png",
        ),
    ),
    # The standalone bundle carries its dependencies; their licences are in its LICENSE.txt.
    "redoc": Library(
        STATIC_VENDOR / "redoc",
        ("LICENSE", "bundles/redoc.standalone.js", "bundles/redoc.standalone.js.LICENSE.txt"),
        root="bundles",
    ),
    # Only the browser tests inject axe-core, so it is not served.
    "axe-core": Library(
        TEST_VENDOR / "axe-core", ("LICENSE", "LICENSE-3RD-PARTY.txt", "axe.min.js")
    ),
}
"""What each pinned package contributes; a package pinned without an entry here is an error."""


def pinned() -> dict[str, str]:
    """Package name → exact version, from ``package.json``."""
    versions: dict[str, str] = json.loads((REPOSITORY / "package.json").read_text())["vendored"]
    unknown = sorted(set(versions) ^ set(LIBRARIES))
    if unknown:
        raise SystemExit(f"package.json 'vendored' and scripts/vendor.py disagree on {unknown}")
    return versions


def vendor(name: str, version: str, scratch: Path) -> list[str]:
    """Fetch ``name@version`` and copy its files; returns the paths copied (relative)."""
    library = LIBRARIES[name]
    packed = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--json", "--ignore-scripts", "--silent"],
        cwd=scratch,
        check=True,
        capture_output=True,
        text=True,
    )
    [tarball] = json.loads(packed.stdout)
    if library.folder.exists():
        shutil.rmtree(library.folder)
    copied, matched = [], set()
    with tarfile.open(scratch / tarball["filename"]) as archive:
        for member in archive.getmembers():
            inside = member.name.removeprefix("package/")
            patterns = {p for p in library.files if fnmatch.fnmatch(inside, p)}
            if not member.isfile() or not patterns:
                continue
            matched |= patterns
            target = library.folder / (
                inside.removeprefix(f"{library.root}/") if library.root else inside
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None  # a regular file always has content to extract
            target.write_bytes(source.read())
            copied.append(str(target.relative_to(REPOSITORY)))
    missing = sorted(set(library.files) - matched)
    if missing:
        raise SystemExit(f"{name}@{version} has no {missing}")
    (library.folder / "VERSION").write_text(f"{name}@{version} {tarball['integrity']}\n")
    return copied


def main() -> None:
    """Refresh every vendored library."""
    with tempfile.TemporaryDirectory() as scratch:
        for name, version in pinned().items():
            copied = vendor(name, version, Path(scratch))
            print(f"{name}@{version}: {len(copied)} files", file=sys.stderr)


if __name__ == "__main__":
    main()
