"""Choose the Debian packages of the broad corpora (issue 19) and write the package lists.

  python3 select_packages.py            # rewrites packages-code-*.txt and packages-translate-broad.txt

The lists are committed: the corpus builders read them, not this script, so a rebuild uses the same
packages even after Debian's index moves on. This script only records how they were chosen, from the
apt index of the build machine (`apt-cache dumpavail`) and, for the German catalogues, from Debian's
file index (`apt-file search`, after `apt-get install apt-file && apt-file update`).

Rules (sizes are the .deb download size):
  python   python3-* architecture-independent library packages (no -doc/-dbg/-dev/-tests), <= 1.5 MB,
           the first PY_N in a fixed pseudo-random order (crc32 of the name);
  go       golang-*-dev (Go source), <= 1.5 MB, the first GO_N in that order;
  rust     librust-*-dev (crate source), <= 1.5 MB, the first RUST_N;
  c        libdevel *-dev packages (C/C++ headers), <= 3 MB, the first C_N;
  shell    a fixed list of shell-rich packages (shell is also taken from every other package);
  java     openjdk-17-source (the JDK class library as source, src.zip);
  node     packages-code-node.txt as it is (the list of the shipped model);
  translate every package whose files include a German gettext catalogue (.../de/LC_MESSAGES/*.mo),
           <= 5 MB, plus packages-translate.txt (some l10n packages are larger) and trans-de-en.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from common import RECIPES, read_list, stable_fraction

PY_N, GO_N, RUST_N, C_N = 2400, 600, 700, 260
SHELL = ["bash-completion", "initramfs-tools-core", "dkms", "debootstrap", "live-build", "neofetch",
         "os-prober", "ifupdown", "kernel-wedge", "debian-goodies", "zram-tools", "needrestart",
         "apt-listbugs", "byobu", "etckeeper", "autopkgtest", "sbuild", "pbuilder", "cowdancer",
         "live-boot", "live-config", "dracut-core", "grml-scripts", "tlp", "firejail"]


def packages() -> dict[str, dict]:
    text = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    out = {}
    for rec in text.split("\n\n"):
        d = dict(re.findall(r"^([\w-]+):[ \t]*(.*)$", rec, re.M))
        if "Package" in d:
            out[d["Package"]] = d
    return out


def pick(pk: dict, pred, n: int) -> list[str]:
    names = sorted((p for p, d in pk.items() if pred(p, d)), key=stable_fraction)
    return sorted(names[:n])


def write(name: str, header: str, pkgs: list[str]) -> None:
    (RECIPES / name).write_text("# " + header.replace("\n", "\n# ") + "\n" + "\n".join(pkgs) + "\n")
    print(f"{name}: {len(pkgs)}")


def main() -> None:
    pk = packages()
    size = lambda d: int(d.get("Size", "0"))
    write("packages-code-python.txt", "python3-* library packages (select_packages.py: arch all, <= 1.5 MB, "
          "crc32 order)", pick(pk, lambda p, d: p.startswith("python3-") and d.get("Architecture") == "all"
                               and not re.search(r"-(doc|dbg|dev|tests?|examples)$", p) and size(d) <= 1_500_000,
                               PY_N))
    write("packages-code-go.txt", "golang-*-dev source packages (select_packages.py)",
          pick(pk, lambda p, d: p.startswith("golang-") and p.endswith("-dev") and size(d) <= 1_500_000, GO_N))
    write("packages-code-rust.txt", "librust-*-dev crate sources (select_packages.py)",
          pick(pk, lambda p, d: p.startswith("librust-") and p.endswith("-dev") and size(d) <= 1_500_000, RUST_N))
    write("packages-code-c.txt", "libdevel *-dev packages for C/C++ headers (select_packages.py)",
          pick(pk, lambda p, d: p.endswith("-dev") and d.get("Section") == "libdevel" and size(d) <= 3_000_000
               and not p.startswith(("librust-", "golang-", "node-")), C_N))
    write("packages-code-shell.txt", "shell-rich packages (shell scripts are also taken from every other "
          "package of the code corpus)", sorted(p for p in SHELL if p in pk))
    write("packages-code-java.txt", "Java packaged as source", ["openjdk-17-source"])

    r = subprocess.run(["apt-file", "search", "-x", r"/de/LC_MESSAGES/[^/]*\.mo$"], capture_output=True, text=True)
    de = sorted({line.split(":", 1)[0] for line in r.stdout.splitlines() if ":" in line})
    de = [p for p in de if p in pk and size(pk[p]) <= 5_000_000]
    base = read_list(RECIPES / "packages-translate.txt")
    write("packages-translate-broad.txt", "every package with a German gettext catalogue (.../de/LC_MESSAGES/*.mo, "
          "apt-file) up to 5 MB,\nplus packages-translate.txt (select_packages.py)", sorted(set(de) | set(base)))


if __name__ == "__main__":
    main()
