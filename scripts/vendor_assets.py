#!/usr/bin/env python3
"""Copy the map's front-end libraries from ``node_modules`` into ``static/vendor/``.

The copies are committed, so a running installation never needs npm or a CDN. To update:
change the exact versions in ``package.json``, then run ``npm install && npm run vendor``
(or ``python3 scripts/vendor_assets.py``) and commit ``static/vendor/`` with the lock file.
``--check`` only verifies that the committed copies match ``node_modules`` (for CI).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

#: package -> (target folder, [(source path in the package, target name)], licence name)
PACKAGES: dict[str, tuple[str, list[tuple[str, str]], str]] = {
    "leaflet": ("leaflet", [
        ("dist/leaflet.js", "leaflet.js"),
        ("dist/leaflet.css", "leaflet.css"),
        # leaflet.css points at these (default marker and the layers control).
        ("dist/images/marker-icon.png", "images/marker-icon.png"),
        ("dist/images/marker-icon-2x.png", "images/marker-icon-2x.png"),
        ("dist/images/marker-shadow.png", "images/marker-shadow.png"),
        ("dist/images/layers.png", "images/layers.png"),
        ("dist/images/layers-2x.png", "images/layers-2x.png"),
        ("LICENSE", "LICENSE"),
    ], "BSD-2-Clause"),
    "leaflet.markercluster": ("leaflet.markercluster", [
        ("dist/leaflet.markercluster.js", "leaflet.markercluster.js"),
        ("dist/MarkerCluster.css", "MarkerCluster.css"),
        ("dist/MarkerCluster.Default.css", "MarkerCluster.Default.css"),
        ("MIT-LICENCE.txt", "LICENSE"),
    ], "MIT"),
}

README = """# Vendored front-end libraries

Copied from their npm packages by `scripts/vendor_assets.py` (`npm ci && npm run vendor`);
do not edit by hand. They are committed so the site needs no npm and no CDN at run time.
Only the map pages load them.

| Package | Version | Licence | Folder | Homepage |
|---|---|---|---|---|
{rows}

Each folder holds the package's licence text as `LICENSE`. The `.js` files are the packages'
minified builds; their `//# sourceMappingURL` comments point at `.map` files that are not
copied (browsers then simply skip the source map).
"""


def installed_version(package: str) -> str:
    meta = NODE_MODULES / package / "package.json"
    if not meta.exists():
        sys.exit(f"{meta} is missing: run `npm ci` first")
    return json.loads(meta.read_text("utf-8"))["version"]


def pinned_version(package: str) -> str:
    spec = json.loads((ROOT / "package.json").read_text("utf-8"))["devDependencies"][package]
    return spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare static/vendor with node_modules")
    args = parser.parse_args(argv)
    rows = []
    stale: list[str] = []
    for package, (folder, files, licence) in PACKAGES.items():
        version = installed_version(package)
        if version != pinned_version(package):
            sys.exit(f"{package}: node_modules has {version}, package.json pins "
                     f"{pinned_version(package)}; run `npm ci`")
        homepage = f"https://www.npmjs.com/package/{package}/v/{version}"
        rows.append(f"| `{package}` | {version} | {licence} | `{folder}/` | {homepage} |")
        for source, target in files:
            src = NODE_MODULES / package / source
            dst = VENDOR / folder / target
            if args.check:
                if not dst.exists() or not filecmp.cmp(src, dst, shallow=False):
                    stale.append(str(dst.relative_to(ROOT)))
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    readme = README.format(rows="\n".join(rows))
    readme_path = VENDOR / "README.md"
    if args.check:
        if not readme_path.exists() or readme_path.read_text("utf-8") != readme:
            stale.append(str(readme_path.relative_to(ROOT)))
        if stale:
            print("out of date:", *stale, sep="\n  ")
            return 1
        print("static/vendor is up to date")
        return 0
    readme_path.write_text(readme, "utf-8")
    print(f"copied {sum(len(f) for _, f, _ in PACKAGES.values())} files into "
          f"{VENDOR.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
