"""Installs the default models and ONNX Runtime into a models directory.

usage: install.py MODELS_DIR [--source DIR] [--manifest FILE] [--downloads DIR] [--only NAMES]

For each file of udfs/src/models/manifest.toml, in this order:
1. already installed with the pinned sha256: kept;
2. in the offline copy (--source, e.g. ../shared/models): copied;
3. otherwise from its public home: a member of a pinned download, a build step
   (scripts/models/<build>.py) over pinned downloads, or a file of this repository.
Every file is hashed before it gets its final name, which it gets by an atomic rename: the models
directory never holds a partial or unverified file. Downloads live apart from it (--downloads)
so that an interrupted one is resumed by the next run.
"""
import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import tomllib
import venv
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fetch import FetchError, download, sha256_of  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEPS = os.path.join(REPO, "scripts", "models")


class InstallError(Exception):
    """A file could not be installed; the message says which and why."""


def main():
    args = parse_args()
    manifest = load_manifest(args.manifest, args.only)
    installer = Installer(args.models, args.source, args.downloads)
    failed = []
    steps = [(installer.install_file, (model, file))
             for model in manifest["model"] for file in model["files"]]
    steps += [(installer.install_runtime, (runtime,)) for runtime in manifest.get("runtime", [])]
    for step, step_args in steps:
        try:
            step(*step_args)
        except (InstallError, FetchError) as e:
            failed.append(str(e))
            print(f"install-models: {e}", file=sys.stderr, flush=True)
    if failed:
        sys.exit(f"install-models: {len(failed)} file(s) not installed (above). Without access to "
                 "their public homes, install from a folder of the verified files "
                 "(MEDIASQL_MODELS_SOURCE=DIR) or a mirror of the homes "
                 "(MEDIASQL_MODELS_MIRROR=http://host:port): README, 'Where the models come from'")
    installer.clean_downloads()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models")
    parser.add_argument("--source", help="an offline copy of the verified files")
    parser.add_argument("--manifest", default=os.path.join(REPO, "udfs/src/models/manifest.toml"))
    parser.add_argument("--downloads", help="where downloads wait (default: beside MODELS_DIR)")
    parser.add_argument("--only", help="comma-separated model names (default: all)")
    args = parser.parse_args()
    if args.downloads is None:
        models = os.path.abspath(args.models)
        args.downloads = os.path.join(os.path.dirname(models), "downloads")
    return args


class Installer:
    def __init__(self, models, source, downloads):
        self.models, self.source, self.downloads = models, source, downloads
        self.fetched = {}
        self.python = None
        # Left by a run that was killed: never a file to use.
        shutil.rmtree(os.path.join(models, ".staging"), ignore_errors=True)

    def install_file(self, model, file):
        dest = os.path.join(self.models, file["path"])
        label = f"{model['name']}: {file['path']}"
        if os.path.exists(dest) and sha256_of(dest) == file["sha256"]:
            return
        with tempfile.TemporaryDirectory(dir=self.staging()) as tmp:
            made = os.path.join(tmp, os.path.basename(dest))
            how = self.make(model, file, made, label)
            got = sha256_of(made)
            if got != file["sha256"]:
                raise InstallError(f"{label}: {how} gave sha256 {got}, but the manifest pins "
                                   f"{file['sha256']}; nothing was installed")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            os.replace(made, dest)
        print(f"installed {label} ({how})", flush=True)

    def make(self, model, file, out, label):
        """Writes the file to `out`; returns how it was made, for messages."""
        offline = self.source and os.path.join(self.source, file["path"])
        if offline and os.path.exists(offline):
            shutil.copyfile(offline, out)
            return f"copied from {offline}"
        if "repo" in file:
            shutil.copyfile(os.path.join(REPO, file["repo"]), out)
            return f"copied from this repository's {file['repo']}"
        if "member" in file:
            archive = self.fetch(model, file["download"], label)
            extract_member(archive, file["member"], out, label)
            return f"{file['member']} of {download_of(model, file['download'])['url']}"
        if "build" in file:
            inputs = [self.fetch(model, name, label) for name in file["build_inputs"]]
            self.run_step(file["build"], out, inputs, label)
            return f"built by scripts/models/{file['build']}.py"
        raise InstallError(f"{label}: the manifest names no source for it")

    def fetch(self, model, name, label):
        """The verified download `name` of `model`; fetched and hashed once per run."""
        pinned = download_of(model, name)
        if pinned["sha256"] not in self.fetched:
            self.fetched[pinned["sha256"]] = download(
                pinned["url"], pinned["sha256"], self.downloads, f"{label} <- {name}")
        return self.fetched[pinned["sha256"]]

    def run_step(self, step, out, inputs, label):
        script = os.path.join(STEPS, f"{step}.py")
        print(f"building {label} with scripts/models/{step}.py", flush=True)
        result = subprocess.run([self.step_python(), script, out, *inputs])
        if result.returncode != 0:
            raise InstallError(f"{label}: scripts/models/{step}.py failed "
                               f"(exit status {result.returncode})")

    def step_python(self):
        """A Python with the build steps' pinned requirements, made once beside the downloads."""
        if self.python:
            return self.python
        env = os.path.join(self.downloads, "tools")
        python = os.path.join(env, "bin", "python")
        requirements = os.path.join(STEPS, "requirements.txt")
        stamp = os.path.join(env, "requirements.txt")
        if not (os.path.exists(stamp) and open(stamp).read() == open(requirements).read()):
            print("preparing the build steps' Python (scripts/models/requirements.txt)", flush=True)
            shutil.rmtree(env, ignore_errors=True)
            try:
                venv.create(env, with_pip=True)
            except (OSError, subprocess.CalledProcessError) as e:
                raise InstallError(f"making a venv in {env} failed ({e}); on Debian or Ubuntu "
                                   "install python3-venv") from e
            pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                   "--only-binary=:all:", "-r", requirements]
            if subprocess.run(pip).returncode != 0:
                raise InstallError(f"installing {requirements} into {env} failed")
            shutil.copyfile(requirements, stamp)
        self.python = python
        return python

    def install_runtime(self, runtime):
        target = os.path.join(self.models, runtime["dir"])
        library = os.path.join(target, f"libonnxruntime.so.{runtime['version']}")
        if os.path.exists(library):
            return
        arch = platform.machine()
        pinned = [d for d in runtime["downloads"] if d["arch"] == arch]
        if not pinned:
            raise InstallError(f"{runtime['name']}: no wheel pinned for machine type {arch}")
        offline = self.source and os.path.join(self.source, os.path.basename(pinned[0]["url"]))
        if offline and os.path.exists(offline) and sha256_of(offline) == pinned[0]["sha256"]:
            wheel = offline
        else:
            wheel = download(pinned[0]["url"], pinned[0]["sha256"], self.downloads,
                             f"{runtime['name']} {runtime['version']} ({arch})")
            self.fetched[pinned[0]["sha256"]] = wheel
        staged = tempfile.mkdtemp(dir=self.staging())
        os.chmod(staged, 0o755)
        try:
            with zipfile.ZipFile(wheel) as z:
                for name in z.namelist():
                    base = os.path.basename(name)
                    if name.startswith(runtime["members"]) and base.startswith("lib") and ".so" in base:
                        with z.open(name) as src, open(os.path.join(staged, base), "wb") as dst:
                            shutil.copyfileobj(src, dst)
            if not os.path.exists(os.path.join(staged, os.path.basename(library))):
                raise InstallError(f"{wheel} holds no {os.path.basename(library)}")
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staged, target)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        print(f"installed {runtime['name']} {runtime['version']} into {target}", flush=True)

    def staging(self):
        """A folder for files being made, on the models directory's file system (so that the
        final rename is atomic) and hidden from the registry, which reads only manifest paths."""
        path = os.path.join(self.models, ".staging")
        os.makedirs(path, exist_ok=True)
        return path

    def clean_downloads(self):
        """Downloads are only inputs: gone once every file is installed."""
        for path in self.fetched.values():
            if os.path.exists(path):
                os.remove(path)
        shutil.rmtree(os.path.join(self.models, ".staging"), ignore_errors=True)


def load_manifest(path, only=None):
    """The manifest, its models narrowed to the comma-separated names in `only`."""
    with open(path, "rb") as f:
        manifest = tomllib.load(f)
    if only:
        names = set(only.split(","))
        unknown = names - {m["name"] for m in manifest["model"]}
        if unknown:
            raise SystemExit(f"install-models: no model named {', '.join(sorted(unknown))}")
        manifest["model"] = [m for m in manifest["model"] if m["name"] in names]
    return manifest


def download_of(model, name):
    for pinned in model.get("downloads", []):
        if pinned["name"] == name:
            return pinned
    raise InstallError(f"{model['name']}: the manifest pins no download named {name!r}")


def extract_member(archive, member, out, label):
    """Copies member `member` of zip `archive` to `out`."""
    with zipfile.ZipFile(archive) as z:
        try:
            src = z.open(member)
        except KeyError:
            raise InstallError(f"{label}: {archive} has no member {member}") from None
        with src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)


if __name__ == "__main__":
    main()
