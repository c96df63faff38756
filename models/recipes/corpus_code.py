"""Build the source-code corpus for tealeaf-code.

Sources (all Debian packages, licences read from each package's own copyright file):
  * JavaScript / TypeScript from Debian `node-*` packages (list: packages-code-node.txt), fetched with
    `apt-get download` and unpacked with `dpkg-deb -x`;
  * Python from the standard library of the Debian package libpython3.11-stdlib (installed here; when it
    is not installed the .deb is downloaded and unpacked like the others).

Held-out split is by unit, never by file: a node package goes wholly to train or to held-out; Python's
standard library is a single Debian package, so there the unit is the top-level module (asyncio, email,
json, ...): held-out modules are never seen in training.

Output (under work/code/): train.jsonl, heldout.jsonl ({"unit", "lang", "path", "text"} per file) and
manifest.json (every package with version, licence, files and bytes kept, split).
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from common import (RECIPES, WORK, apt_download, copyright_in, deb_version, extract_deb, licence_of,
                    read_list, sha1, stable_fraction, write_json)

JS_EXT = {".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".ts": "typescript",
          ".mts": "typescript", ".cts": "typescript"}
MAX_FILE_BYTES = 120_000      # bundles and generated files are larger; they teach little
MIN_FILE_BYTES = 120
HELDOUT_FRACTION = 0.05
MAX_UNIT_BYTES = 1_500_000    # per package / stdlib module: keeps a few huge packages from dominating


def looks_minified(text: str) -> bool:
    lines = text.split("\n")
    if any(len(l) > 400 for l in lines):
        return True
    return len(text) / max(1, len(lines)) > 90


def clean(text: str) -> str:
    text = text.replace("\r\n", "\n")
    return text.strip("\n") + "\n"


def node_files(root: Path):
    for base in ["usr/share/nodejs", "usr/lib/nodejs", "usr/share/javascript"]:
        b = root / base
        if not b.is_dir():
            continue
        for p in sorted(b.rglob("*")):
            if p.is_symlink() or not p.is_file():
                continue
            name = p.name
            if name.endswith(".min.js") or ".bundle." in name or name.endswith(".map"):
                continue
            ext = p.suffix
            if name.endswith(".d.ts"):
                lang = "typescript"
            elif ext in JS_EXT:
                lang = JS_EXT[ext]
            else:
                continue
            yield p, lang


def python_root(smoke: bool) -> tuple[Path, str, str, str]:
    """Where the Debian stdlib .py files are: the installed package, or a downloaded copy."""
    pkg = "libpython3.11-stdlib"
    local = Path("/usr/lib/python3.11")
    cp = Path("/usr/share/doc") / pkg / "copyright"
    if local.is_dir() and cp.is_file():
        return Path("/"), pkg, "installed", cp.read_text(errors="replace")
    debs = apt_download([pkg], WORK / "debs/code")
    root = extract_deb(debs[pkg], WORK / "extract/code" / pkg)
    return root, pkg, deb_version(debs[pkg]), copyright_in(root, pkg) or ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=WORK / "code")
    ap.add_argument("--smoke", action="store_true", help="only a handful of packages")
    args = ap.parse_args()

    # The smoke corpus is tiny: hold out more of it so that the held-out split is never empty.
    heldout_fraction = 0.3 if args.smoke else HELDOUT_FRACTION
    node_pkgs = read_list(RECIPES / "packages-code-node.txt")
    if args.smoke:
        node_pkgs = node_pkgs[:12]
    debs = apt_download(node_pkgs, WORK / "debs/code")

    seen: set[str] = set()
    manifest = {"description": "tealeaf-code corpus: source files from Debian packages", "packages": [],
                "filters": {"max_file_bytes": MAX_FILE_BYTES, "min_file_bytes": MIN_FILE_BYTES,
                            "minified": "dropped (line > 400 chars or mean line > 90 chars)",
                            "dedupe": "exact, on whitespace-normalised text, first occurrence wins",
                            "max_unit_bytes": MAX_UNIT_BYTES},
                "heldout": f"by package (node) / by top-level module (Python stdlib), ~{heldout_fraction:.0%}"}
    args.out.mkdir(parents=True, exist_ok=True)
    f_train = open(args.out / "train.jsonl", "w")
    f_held = open(args.out / "heldout.jsonl", "w")
    totals = {"train": 0, "heldout": 0, "dupes": 0, "filtered": 0, "over_unit_cap": 0}
    unit_bytes: dict[str, int] = {}

    def emit(unit: str, lang: str, rel: str, text: str) -> tuple[int, str]:
        key = sha1(re.sub(r"\s+", " ", text))
        if key in seen:
            totals["dupes"] += 1
            return 0, ""
        seen.add(key)
        if unit_bytes.get(unit, 0) >= MAX_UNIT_BYTES:
            totals["over_unit_cap"] += 1
            return 0, ""
        unit_bytes[unit] = unit_bytes.get(unit, 0) + len(text.encode())
        split = "heldout" if stable_fraction(unit) < heldout_fraction else "train"
        (f_held if split == "heldout" else f_train).write(
            json.dumps({"unit": unit, "lang": lang, "path": rel, "text": text}) + "\n")
        totals[split] += len(text.encode())
        return len(text.encode()), split

    def read_ok(p: Path) -> str | None:
        size = p.stat().st_size
        if size < MIN_FILE_BYTES or size > MAX_FILE_BYTES:
            totals["filtered"] += 1
            return None
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            totals["filtered"] += 1
            return None
        if looks_minified(text):
            totals["filtered"] += 1
            return None
        return clean(text)

    for pkg in node_pkgs:
        if pkg not in debs:
            manifest["packages"].append({"package": pkg, "status": "not downloadable"})
            continue
        root = extract_deb(debs[pkg], WORK / "extract/code" / pkg)
        entry = {"package": pkg, "version": deb_version(debs[pkg]),
                 "licence": licence_of(copyright_in(root, pkg)), "languages": {}, "files": 0, "bytes": 0,
                 "split": "heldout" if stable_fraction(pkg) < heldout_fraction else "train"}
        for p, lang in node_files(root):
            text = read_ok(p)
            if text is None:
                continue
            n, _ = emit(pkg, lang, str(p.relative_to(root)), text)
            if n:
                entry["files"] += 1
                entry["bytes"] += n
                entry["languages"][lang] = entry["languages"].get(lang, 0) + n
        manifest["packages"].append(entry)

    root, pkg, version, cptext = python_root(args.smoke)
    lib = root / "usr/lib/python3.11"
    # Debian's python3.11 copyright file is not machine-readable; the library is under the PSF licence.
    entry = {"package": pkg, "version": version, "licence": "PSF-2.0 (Python Software Foundation License)",
             "languages": {}, "files": 0, "bytes": 0,
             "split": "by top-level module", "heldout_modules": []}
    pyfiles = sorted(p for p in lib.rglob("*.py") if "__pycache__" not in p.parts
                     and "site-packages" not in p.parts and "dist-packages" not in p.parts)
    if args.smoke:
        pyfiles = pyfiles[:60]
    held_mods = set()
    for p in pyfiles:
        rel = p.relative_to(lib)
        top = rel.parts[0].removesuffix(".py")
        text = read_ok(p)
        if text is None:
            continue
        n, split = emit("python3.11:" + top, "python", "usr/lib/python3.11/" + str(rel), text)
        if n:
            entry["files"] += 1
            entry["bytes"] += n
            entry["languages"]["python"] = entry["languages"].get("python", 0) + n
            if split == "heldout":
                held_mods.add(top)
    entry["heldout_modules"] = sorted(held_mods)
    manifest["packages"].append(entry)

    f_train.close()
    f_held.close()
    manifest["totals_bytes"] = totals
    by_lang: dict[str, int] = {}
    for e in manifest["packages"]:
        for k, v in e.get("languages", {}).items():
            by_lang[k] = by_lang.get(k, 0) + v
    manifest["bytes_by_language"] = by_lang
    manifest["packages_used"] = sum(1 for e in manifest["packages"] if e.get("files"))
    write_json(args.out / "manifest.json", manifest)
    print(json.dumps({"totals": totals, "by_language": by_lang, "packages_used": manifest["packages_used"]}))


if __name__ == "__main__":
    main()
