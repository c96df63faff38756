"""Shared helpers for the Tealeaf model recipes: paths, Debian package handling, licences, hashing.

Everything downloaded or extracted lives under models/recipes/work/ (git-ignored); only recipes,
model folders and manifests are committed.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import zlib
from pathlib import Path

RECIPES = Path(__file__).resolve().parent
REPO = RECIPES.parent.parent
WORK = Path(os.environ.get("TEALEAF_WORK", RECIPES / "work"))


def read_list(path: Path) -> list[str]:
    """Package lists: one name a line, '#' comments allowed."""
    out = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def apt_download(pkgs: list[str], dest: Path, batch_size: int = 30) -> dict[str, Path]:
    """Download .deb files with the ordinary client, in batches so that one unavailable name does not
    sink the rest. Returns package -> .deb path for every package that is present afterwards."""
    dest.mkdir(parents=True, exist_ok=True)

    def present() -> dict[str, Path]:
        found = {}
        for deb in dest.glob("*.deb"):
            found[deb.name.split("_", 1)[0]] = deb
        return found

    have = present()
    missing = [p for p in pkgs if p not in have]
    for i in range(0, len(missing), batch_size):
        batch = missing[i:i + batch_size]
        r = subprocess.run(["apt-get", "download", *batch], cwd=dest, capture_output=True, text=True)
        if r.returncode != 0:
            # Retry one by one: the batch failed as a whole because of one name.
            for p in batch:
                subprocess.run(["apt-get", "download", p], cwd=dest, capture_output=True, text=True)
    have = present()
    return {p: have[p] for p in pkgs if p in have}


def extract_deb(deb: Path, dest: Path) -> Path:
    """dpkg-deb -x into dest (once)."""
    marker = dest / ".extracted"
    if not marker.exists():
        dest.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
        marker.write_text(deb.name)
    return dest


def deb_version(deb: Path) -> str:
    parts = deb.name.split("_")
    return parts[1].replace("%3a", ":") if len(parts) > 1 else "?"


_LICENSE_RE = re.compile(r"^License:\s*(.+?)\s*$", re.M)


def licence_of(copyright_text: str | None) -> str:
    """Short licence summary from a Debian copyright file: the distinct `License:` short names (DEP-5),
    with the one of the `Files: *` stanza first. Non-DEP-5 files get a best-effort keyword."""
    if not copyright_text:
        return "unknown (no copyright file)"
    names: list[str] = []
    stanzas = re.split(r"\n\s*\n", copyright_text)
    for st in stanzas:
        if re.search(r"^Files:\s*\*\s*$", st, re.M):
            m = _LICENSE_RE.search(st)
            if m:
                names.append(m.group(1))
    for m in _LICENSE_RE.finditer(copyright_text):
        if m.group(1) not in names:
            names.append(m.group(1))
    if names:
        return ", ".join(names[:4]) + (" …" if len(names) > 4 else "")
    for kw in ["GPL-3", "GPL-2", "LGPL", "MIT", "BSD", "Apache", "PSF", "Python Software Foundation",
               "public domain"]:
        if kw.lower() in copyright_text.lower():
            return kw + " (from text)"
    return "see copyright file"


def copyright_in(root: Path, pkg: str) -> str | None:
    p = root / "usr/share/doc" / pkg / "copyright"
    if p.is_file():
        return p.read_text(errors="replace")
    link = root / "usr/share/doc" / pkg
    if link.is_symlink():
        # Debian allows /usr/share/doc/<pkg> -> <other package of the same source>: read that one.
        target = Path("/usr/share/doc") / Path(os.readlink(link)).name / "copyright"
        if target.is_file():
            return target.read_text(errors="replace")
    # Some packages ship the doc dir as a symlink to another package's doc dir.
    docs = root / "usr/share/doc"
    if docs.is_dir():
        for d in docs.iterdir():
            c = d / "copyright"
            if c.is_file():
                return c.read_text(errors="replace")
    sysp = Path("/usr/share/doc") / pkg / "copyright"
    return sysp.read_text(errors="replace") if sysp.is_file() else None


def stable_fraction(key: str) -> float:
    """Deterministic value in [0, 1) from a name (held-out split by package)."""
    return (zlib.crc32(key.encode()) & 0xFFFFFFFF) / 2**32


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n")
