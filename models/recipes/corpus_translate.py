"""Build the English<->German parallel corpus for tealeaf-translate.

Sources (licences read from each package's copyright file):
  * gettext catalogues: the German .mo files installed under /usr/share/locale/de (each attributed to
    its Debian package with `dpkg -S`) and those inside the l10n packages of packages-translate.txt
    (fetched with `apt-get download`, unpacked with `dpkg-deb -x`); msgid = English, msgstr = German;
  * the Ding dictionary (Debian package trans-de-en): aligned senses "de | de :: en | en".

Filters: drop the catalogue header, fuzzy-empty and untranslated entries, format-only strings (fewer than
two letters once %s / {0} / <tags> are removed), entries over 160 characters or with more than one line
break, and mismatched length ratios; strip keyboard accelerators (_File, &Open, ~Save).
Dedupe on the (en, de) pair. Held-out split is by source: whole gettext packages (~3,000 pairs, never
the four largest) and, for Ding, whole dictionary lines; held-out pairs whose English or German side also occurs
in training are dropped so that held-out text is really unseen.

Output (under work/translate/): train.jsonl, heldout.jsonl ({"en", "de", "src"}), manifest.json.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import struct
import subprocess
from pathlib import Path

from common import (RECIPES, WORK, apt_download, copyright_in, deb_version, extract_deb, licence_of,
                    read_list, stable_fraction, write_json)

MAX_CHARS = 160
HELDOUT_PAIRS = 3000        # gettext pairs held out, in whole packages
DING_HELDOUT_FRACTION = 0.01
DING_CAP = 130_000          # keep the dictionary from drowning out the sentence-like catalogue strings


def parse_mo(data: bytes) -> list[tuple[str, str]]:
    """GNU .mo: magic, revision, N, offset of originals table, offset of translations table."""
    if len(data) < 20:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if end is None:
        return []
    _, n, o_off, t_off = struct.unpack(end + "4I", data[4:20])
    out = []
    for i in range(n):
        ol, oo = struct.unpack(end + "2I", data[o_off + 8 * i:o_off + 8 * i + 8])
        tl, to = struct.unpack(end + "2I", data[t_off + 8 * i:t_off + 8 * i + 8])
        try:
            msgid = data[oo:oo + ol].decode("utf-8")
            msgstr = data[to:to + tl].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if "\x04" in msgid:                     # msgctxt \x04 msgid
            msgid = msgid.split("\x04", 1)[1]
        msgid = msgid.split("\x00", 1)[0]       # plural forms: keep the singular
        msgstr = msgstr.split("\x00", 1)[0]
        out.append((msgid, msgstr))
    return out


_FMT = re.compile(r"%(\d+\$)?[-+ #0]*\d*(\.\d+)?[hlLqjzt]*[diouxXeEfgGcspn%]|\{[^}]*\}|<[^>]+>|\$\w+|&\w+;")
_ACCEL = re.compile(r"(?<![\w&])[_&~](?=\w)")


def clean_msg(s: str) -> str | None:
    s = s.strip()
    if s.count("\n") > 1:
        return None
    s = s.replace("\n", " ")
    s = _ACCEL.sub("", s)
    s = re.sub(r"\s+", " ", s).strip()
    if not s or len(s) > MAX_CHARS:
        return None
    letters = sum(c.isalpha() for c in _FMT.sub("", s))
    if letters < 2:
        return None
    return s


def good_pair(en: str, de: str) -> bool:
    if en == de and len(en) > 3:
        return False                           # untranslated (or a name): teaches copying only
    r = (len(de) + 5) / (len(en) + 5)
    return 0.33 < r < 3.0


def pkg_of_path(path: str) -> str:
    r = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
    if r.returncode != 0 or ":" not in r.stdout:
        return "unknown"
    return r.stdout.split(":", 1)[0].split(",")[0].strip()


_DING_NOTE = re.compile(r"\{[^}]*\}|\[[^\]]*\]|\([^)]*\)|/[^/]*/")


def ding_pairs(path: Path) -> list[tuple[str, str, str]]:
    """Aligned senses of each line; first synonym of each side. Returns (en, de, line_key)."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("#") or "::" not in line:
            continue
        de_side, en_side = line.split("::", 1)
        des, ens = de_side.split(" | "), en_side.split(" | ")
        if len(des) != len(ens):
            continue
        for d, e in zip(des, ens):
            d = re.sub(r"\s+", " ", _DING_NOTE.sub("", d.split(";")[0])).strip(" ,.")
            e = re.sub(r"\s+", " ", _DING_NOTE.sub("", e.split(";")[0])).strip(" ,.")
            if d and e and len(d) <= MAX_CHARS and len(e) <= MAX_CHARS:
                out.append((e, d, line[:60]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=WORK / "translate")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()

    pkgs = read_list(RECIPES / "packages-translate.txt")
    if args.smoke:
        pkgs = [p for p in pkgs if p in ("trans-de-en", "libosinfo-l10n", "e2fsprogs-l10n")]
    debs = apt_download(pkgs, WORK / "debs/translate")

    # 1. gettext catalogues, grouped by package: package -> list of (en, de)
    catalogues: dict[str, list[tuple[str, str]]] = {}
    info: dict[str, dict] = {}
    for pkg in pkgs:
        if pkg == "trans-de-en" or pkg not in debs:
            continue
        root = extract_deb(debs[pkg], WORK / "extract/translate" / pkg)
        mos = [p for p in root.rglob("*.mo") if "/de/" in str(p) and "/de_" not in str(p)]
        pairs = []
        for mo in sorted(mos):
            pairs += parse_mo(mo.read_bytes())
        catalogues[pkg] = pairs
        info[pkg] = {"version": deb_version(debs[pkg]), "licence": licence_of(copyright_in(root, pkg)),
                     "catalogues": len(mos), "origin": "apt-get download"}
    local = sorted(Path("/usr/share/locale/de/LC_MESSAGES").glob("*.mo")) if not args.smoke else []
    for mo in local:
        pkg = pkg_of_path(str(mo))
        catalogues.setdefault(pkg, []).extend(parse_mo(mo.read_bytes()))
        if pkg not in info:
            cp = Path("/usr/share/doc") / pkg / "copyright"
            info[pkg] = {"version": "installed", "catalogues": 0, "origin": "installed on the build machine",
                         "licence": licence_of(cp.read_text(errors="replace") if cp.is_file() else None)}
        info[pkg]["catalogues"] += 1

    # Clean every catalogue first, then choose held-out packages: in a fixed pseudo-random order (crc32
    # of the name), skipping the four largest, until about HELDOUT_PAIRS pairs are held out.
    seen: set[tuple[str, str]] = set()
    cleaned: dict[str, list[tuple[str, str]]] = {}
    for pkg in sorted(catalogues):
        kept = []
        for en, de in catalogues[pkg]:
            if not en:
                continue                        # header entry
            en_c, de_c = clean_msg(en), clean_msg(de)
            if not en_c or not de_c or not good_pair(en_c, de_c) or (en_c, de_c) in seen:
                continue
            seen.add((en_c, de_c))
            kept.append((en_c, de_c))
        cleaned[pkg] = kept
    big = sorted(cleaned, key=lambda p: -len(cleaned[p]))[:4] if not args.smoke else []
    target = HELDOUT_PAIRS if not args.smoke else 200
    held_pkgs: set[str] = set()
    n_held = 0
    for pkg in sorted(cleaned, key=stable_fraction):
        if n_held >= target:
            break
        if pkg in big or pkg == "unknown" or len(cleaned[pkg]) > target:
            continue
        held_pkgs.add(pkg)
        n_held += len(cleaned[pkg])
    train: list[dict] = []
    held: list[dict] = []
    manifest_pkgs = []
    for pkg in sorted(cleaned):
        split = "heldout" if pkg in held_pkgs else "train"
        for en_c, de_c in cleaned[pkg]:
            (held if split == "heldout" else train).append({"en": en_c, "de": de_c, "src": pkg})
        manifest_pkgs.append({"package": pkg, **info.get(pkg, {}), "raw_entries": len(catalogues[pkg]),
                              "pairs_kept": len(cleaned[pkg]),
                              "chars_kept": sum(len(a) + len(b) for a, b in cleaned[pkg]), "split": split})

    # 2. the Ding dictionary
    if "trans-de-en" in debs:
        root = extract_deb(debs["trans-de-en"], WORK / "extract/translate/trans-de-en")
        dp = ding_pairs(root / "usr/share/trans/de-en")
        rng = random.Random(1234)
        d_train, d_held = [], []
        for en, de, key in dp:
            if (en, de) in seen:
                continue
            seen.add((en, de))
            (d_held if stable_fraction(key) < DING_HELDOUT_FRACTION else d_train).append(
                {"en": en, "de": de, "src": "trans-de-en"})
        rng.shuffle(d_train)
        cap = DING_CAP if not args.smoke else 3000
        d_train = d_train[:cap]
        d_held = d_held[:2000]
        train += d_train
        held += d_held
        manifest_pkgs.append({"package": "trans-de-en", "version": deb_version(debs["trans-de-en"]),
                              "licence": licence_of(copyright_in(root, "trans-de-en")),
                              "origin": "apt-get download", "raw_entries": len(dp),
                              "pairs_kept": len(d_train) + len(d_held),
                              "chars_kept": sum(len(p["en"]) + len(p["de"]) for p in d_train + d_held),
                              "split": f"by dictionary line ({DING_HELDOUT_FRACTION:.0%} held out), "
                                       f"training sample capped at {cap}"})

    # 3. held-out must be unseen: drop held-out pairs whose either side occurs in training
    train_en = {p["en"] for p in train}
    train_de = {p["de"] for p in train}
    before = len(held)
    held = [p for p in held if p["en"] not in train_en and p["de"] not in train_de]

    args.out.mkdir(parents=True, exist_ok=True)
    random.Random(7).shuffle(train)
    with open(args.out / "train.jsonl", "w") as f:
        for p in train:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    with open(args.out / "heldout.jsonl", "w") as f:
        for p in held:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    manifest = {
        "description": "tealeaf-translate corpus: English<->German pairs from Debian packages",
        "filters": {"max_chars": MAX_CHARS, "format_only": "dropped (< 2 letters without format codes/tags)",
                    "untranslated": "dropped (en == de, longer than 3 chars)",
                    "length_ratio": "0.33 < (len(de)+5)/(len(en)+5) < 3", "accelerators": "stripped (_ & ~)",
                    "dedupe": "exact (en, de) pairs"},
        "heldout": "gettext: whole packages; Ding: whole dictionary lines; minus pairs with a side seen in training",
        "heldout_dropped_as_seen": before - len(held),
        "pairs": {"train": len(train), "heldout": len(held)},
        "heldout_by_source": {},
        "packages": manifest_pkgs,
    }
    for p in held:
        manifest["heldout_by_source"][p["src"]] = manifest["heldout_by_source"].get(p["src"], 0) + 1
    write_json(args.out / "manifest.json", manifest)
    print(json.dumps({"pairs": manifest["pairs"], "heldout_by_source": manifest["heldout_by_source"]}))


if __name__ == "__main__":
    main()
