"""Build the broad English<->German corpus (issue 19) for the GPU-trained tealeaf-translate.

corpus_translate.py (the shipped model's corpus) is left as it is; this builder reads every German gettext
catalogue of packages-translate-broad.txt (every Debian package whose files include a
.../de/LC_MESSAGES/*.mo, up to 5 MB, plus the l10n packages of packages-translate.txt; see
select_packages.py), the German catalogues installed on the build machine, and the Ding dictionary
(trans-de-en). Licences are read from each package's copyright file and recorded per package.

Pairs are msgid (English) / msgstr (German), singular forms, accelerators stripped (_File, &Open, ~Save),
placeholders KEPT (%s, %1$d, {0}, {name}, ${var}, %(name)s, <b>…</b>, &amp;): the model learns to copy them.
Alignment-quality filters (each counted in manifest.json):
  * empty / header / format-only (< 2 letters outside placeholders) / over MAX_CHARS / > 1 line break;
  * untranslated (en == de, longer than 3 characters);
  * length ratio outside 0.4 < (len(de) + 5) / (len(en) + 5) < 2.8;
  * placeholders differ: the multiset of printf/brace/shell/percent-name placeholders and of markup tags
    must be the same on both sides (order may change);
  * wrong language: the German side reads as English or the English side as German (function-word counts);
  * end punctuation disagrees (':' vs none, '?' vs none, ellipsis vs none);
  * the same English string with more than MAX_VARIANTS different German strings: the most frequent kept.
Dedupe on the (en, de) pair. Held-out split: whole gettext packages (~HELDOUT_PAIRS pairs, never the four
largest) and 1% of the dictionary lines; held-out pairs with a side seen in training are dropped.

Output (work/translate-broad/ by default): train.jsonl, heldout.jsonl ({"en", "de", "src"}), manifest.json.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import time
from collections import Counter, defaultdict
from pathlib import Path

from common import RECIPES, WORK, apt_download, copyright_in, deb_version, licence_of, read_list, stable_fraction, write_json
from corpus_translate import _ACCEL, _FMT, ding_pairs, parse_mo, pkg_of_path

MAX_CHARS = 200
HELDOUT_PAIRS = 4000
DING_HELDOUT_FRACTION = 0.01
DING_CAP = 200_000
MAX_VARIANTS = 3

_PLACEHOLDER = re.compile(r"%(\d+\$)?[-+ #0]*\d*(\.\d+)?[hlLqjzt]*[diouxXeEfgGcspn]|%\([^)]+\)[-+ #0]*\d*[diouxXeEfgGcsr]|"
                          r"\{[^{}\s]*\}|\$\{[^}]+\}|\$\w+|</?\w+[^>]*>|&\w+;")
_EN_WORDS = {"the", "and", "of", "to", "is", "are", "not", "with", "for", "this", "that", "be", "could", "cannot",
             "you", "your", "from", "was", "has", "have", "which", "will"}
_DE_WORDS = {"der", "die", "das", "und", "ist", "nicht", "mit", "für", "ein", "eine", "den", "dem", "des", "zu",
             "von", "werden", "wurde", "kann", "konnte", "sie", "auf", "im", "oder", "sind", "wird"}


def placeholders(s: str) -> Counter:
    out = Counter()
    for m in _PLACEHOLDER.finditer(s):
        p = m.group(0)
        p = re.sub(r"^%\d+\$", "%", p)           # %1$s and %s are the same slot type
        if p.startswith("<"):
            p = re.sub(r"\s.*", ">", p.lower())   # <a href=...> -> <a>
        out[p] += 1
    return out


def words(s: str) -> list[str]:
    return re.findall(r"[a-zäöüß]+", s.lower())


def language_ok(en: str, de: str) -> bool:
    we, wd = words(en), words(de)
    de_en = sum(w in _EN_WORDS for w in wd)
    de_de = sum(w in _DE_WORDS for w in wd)
    en_de = sum(w in _DE_WORDS and w not in _EN_WORDS for w in we)
    en_en = sum(w in _EN_WORDS for w in we)
    if de_en >= 2 and de_en > de_de:
        return False
    if en_de >= 2 and en_de > en_en:
        return False
    return True


def end_class(s: str) -> str:
    s = s.rstrip()
    if s.endswith(("...", "…")):
        return "…"
    return s[-1] if s and s[-1] in ":?" else ""


def clean(s: str) -> str | None:
    s = s.strip()
    if s.count("\n") > 1:
        return None
    s = s.replace("\n", " ")
    s = _ACCEL.sub("", s)
    s = re.sub(r"\s+", " ", s).strip()
    if not s or len(s) > MAX_CHARS:
        return None
    if sum(c.isalpha() for c in _FMT.sub("", s)) < 2:
        return None
    return s


def check(en: str, de: str, counts: Counter) -> bool:
    if en == de and len(en) > 3:
        counts["untranslated"] += 1
        return False
    r = (len(de) + 5) / (len(en) + 5)
    if not 0.4 < r < 2.8:
        counts["length_ratio"] += 1
        return False
    if placeholders(en) != placeholders(de):
        counts["placeholders_differ"] += 1
        return False
    if not language_ok(en, de):
        counts["wrong_language"] += 1
        return False
    if end_class(en) != end_class(de):
        counts["end_punctuation"] += 1
        return False
    return True


def extract_mo(deb: Path, dest: Path) -> list[Path]:
    """Only the German catalogues of a package (much faster than unpacking it whole)."""
    marker = dest / ".extracted"
    if not marker.exists():
        dest.mkdir(parents=True, exist_ok=True)
        tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(dest), "--wildcards", "--no-anchored", "*/de/LC_MESSAGES/*.mo",
                        "*/copyright"], stdin=tar.stdout, capture_output=True)
        tar.wait()
        marker.write_text(deb.name)
    return sorted(p for p in dest.rglob("*.mo") if "/de/LC_MESSAGES/" in str(p))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=WORK / "translate-broad")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--no-installed", action="store_true", help="skip the catalogues installed on this machine")
    args = ap.parse_args()
    t0 = time.time()
    pkgs = read_list(RECIPES / "packages-translate-broad.txt")
    if args.smoke:
        pkgs = sorted(pkgs, key=stable_fraction)[:25] + ["trans-de-en"]
    debs = apt_download(pkgs, WORK / "debs/translate", batch_size=150)

    counts: Counter = Counter()
    catalogues: dict[str, list[tuple[str, str]]] = {}
    info: dict[str, dict] = {}
    for pkg in pkgs:
        if pkg == "trans-de-en" or pkg not in debs:
            continue
        dest = WORK / "extract/translate-mo" / pkg
        mos = extract_mo(debs[pkg], dest)
        if not mos:
            continue
        pairs = []
        for mo in mos:
            pairs += parse_mo(mo.read_bytes())
        catalogues[pkg] = pairs
        info[pkg] = {"version": deb_version(debs[pkg]), "licence": licence_of(copyright_in(dest, pkg)),
                     "catalogues": len(mos), "origin": "apt-get download"}
    if not args.smoke and not args.no_installed:
        for mo in sorted(Path("/usr/share/locale/de/LC_MESSAGES").glob("*.mo")):
            pkg = pkg_of_path(str(mo))
            if pkg in info and info[pkg]["origin"] == "apt-get download":
                continue                                  # the same catalogue, already read from the .deb
            catalogues.setdefault(pkg, []).extend(parse_mo(mo.read_bytes()))
            if pkg not in info:
                cp = Path("/usr/share/doc") / pkg / "copyright"
                info[pkg] = {"version": "installed", "catalogues": 0, "origin": "installed on the build machine",
                             "licence": licence_of(cp.read_text(errors="replace") if cp.is_file() else None)}
            info[pkg]["catalogues"] += 1

    # Clean and filter; then keep at most MAX_VARIANTS German strings per English string (most frequent).
    variants: dict[str, Counter] = defaultdict(Counter)
    cleaned: dict[str, list[tuple[str, str]]] = {}
    for pkg in sorted(catalogues):
        kept = []
        for en, de in catalogues[pkg]:
            counts["raw"] += 1
            if not en or not de:
                counts["empty_or_header"] += 1
                continue
            if "|" in en and "|" not in de and " " not in en.split("|", 1)[0]:
                en = en.rsplit("|", 1)[1]             # GTK/KDE "Context|text" msgids
            en_c, de_c = clean(en), clean(de)
            if not en_c or not de_c:
                counts["format_only_or_too_long"] += 1
                continue
            if not check(en_c, de_c, counts):
                continue
            kept.append((en_c, de_c))
            variants[en_c][de_c] += 1
        cleaned[pkg] = kept
    allowed = {en: {d for d, _ in c.most_common(MAX_VARIANTS)} for en, c in variants.items()}
    seen: set[tuple[str, str]] = set()
    for pkg in sorted(cleaned):
        out = []
        for en, de in cleaned[pkg]:
            if de not in allowed[en]:
                counts["too_many_variants"] += 1
                continue
            if (en, de) in seen:
                counts["duplicate"] += 1
                continue
            seen.add((en, de))
            out.append((en, de))
        cleaned[pkg] = out

    big = sorted(cleaned, key=lambda p: -len(cleaned[p]))[:4] if not args.smoke else []
    target = HELDOUT_PAIRS if not args.smoke else 300
    held_pkgs: set[str] = set()
    n_held = 0
    for pkg in sorted(cleaned, key=stable_fraction):
        if n_held >= target:
            break
        if pkg in big or pkg == "unknown" or not cleaned[pkg] or len(cleaned[pkg]) > target // 2:
            continue
        held_pkgs.add(pkg)
        n_held += len(cleaned[pkg])
    train: list[dict] = []
    held: list[dict] = []
    manifest_pkgs = []
    for pkg in sorted(cleaned):
        split = "heldout" if pkg in held_pkgs else "train"
        for en, de in cleaned[pkg]:
            (held if split == "heldout" else train).append({"en": en, "de": de, "src": pkg})
        manifest_pkgs.append({"package": pkg, **info.get(pkg, {}), "raw_entries": len(catalogues[pkg]),
                              "pairs_kept": len(cleaned[pkg]), "split": split})
    n_catalogue_train = len(train)

    if "trans-de-en" in debs:
        from common import extract_deb
        root = extract_deb(debs["trans-de-en"], WORK / "extract/translate/trans-de-en")
        dp = ding_pairs(root / "usr/share/trans/de-en")
        d_train, d_held = [], []
        for en, de, key in dp:
            if (en, de) in seen:
                continue
            seen.add((en, de))
            (d_held if stable_fraction(key) < DING_HELDOUT_FRACTION else d_train).append(
                {"en": en, "de": de, "src": "trans-de-en"})
        random.Random(1234).shuffle(d_train)
        cap = DING_CAP if not args.smoke else 3000
        d_train, d_held = d_train[:cap], d_held[:2000]
        train += d_train
        held += d_held
        manifest_pkgs.append({"package": "trans-de-en", "version": deb_version(debs["trans-de-en"]),
                              "licence": licence_of(copyright_in(root, "trans-de-en")), "origin": "apt-get download",
                              "raw_entries": len(dp), "pairs_kept": len(d_train) + len(d_held),
                              "split": f"by dictionary line ({DING_HELDOUT_FRACTION:.0%} held out), training sample "
                                       f"capped at {cap}"})

    train_en = {p["en"] for p in train}
    train_de = {p["de"] for p in train}
    before = len(held)
    held = [p for p in held if p["en"] not in train_en and p["de"] not in train_de]

    args.out.mkdir(parents=True, exist_ok=True)
    random.Random(7).shuffle(train)
    for name, items in [("train", train), ("heldout", held)]:
        with open(args.out / f"{name}.jsonl", "w") as f:
            for p in items:
                f.write(json.dumps(p, ensure_ascii=False) + "\n")
    with_ph = sum(1 for p in train if placeholders(p["en"]))
    lic = Counter(e.get("licence", "?").split(",")[0].strip() for e in manifest_pkgs if e.get("pairs_kept"))
    manifest = {
        "description": "tealeaf-translate broad corpus (issue 19): English<->German pairs from Debian packages",
        "filters": {"max_chars": MAX_CHARS, "length_ratio": "0.4 < (len(de)+5)/(len(en)+5) < 2.8",
                    "placeholders": "kept; pairs whose placeholder/tag multisets differ are dropped",
                    "language": "dropped when the German side reads as English or vice versa (function words)",
                    "end_punctuation": "':' '?' and ellipsis must agree", "max_variants_per_english": MAX_VARIANTS,
                    "accelerators": "stripped (_ & ~)", "dedupe": "exact (en, de) pairs"},
        "filter_counts": dict(counts),
        "heldout": "gettext: whole packages; Ding: whole dictionary lines; minus pairs with a side seen in training",
        "heldout_dropped_as_seen": before - len(held),
        "pairs": {"train": len(train), "heldout": len(held), "train_from_catalogues": n_catalogue_train,
                  "train_with_placeholders": with_ph},
        "packages_with_pairs": sum(1 for e in manifest_pkgs if e.get("pairs_kept")),
        "licences_first_named": dict(lic.most_common()),
        "build_minutes": round((time.time() - t0) / 60, 1),
        "packages": manifest_pkgs,
    }
    write_json(args.out / "manifest.json", manifest)
    print(json.dumps({k: manifest[k] for k in ("filter_counts", "pairs", "packages_with_pairs", "build_minutes")}))


if __name__ == "__main__":
    main()
