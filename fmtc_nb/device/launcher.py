"""Start, kill and restart a virtual device in its own process (for notebooks, demos and tests).

The device is ``python -m android_bridge --virtual`` run as a child process: fmtc_nb starts the bridge, it
never imports it.

>>> dev = VirtualDeviceProcess(root).start()      # doctest: +SKIP
>>> dev.url, dev.code                              # what the phone shows
>>> dev.kill()                                     # SIGKILL, like a vendor's power manager
>>> dev.restart()                                  # same root and port: jobs resume through recovery
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import weakref
from pathlib import Path
from typing import Any

from fmtc_nb.android.screen import SETTINGS_FILE, read_screen

#: The virtual phone's settings file in its state directory (``android_bridge.platform.virtual`` reads it).


class VirtualDeviceProcess:
    """``python -m android_bridge --virtual`` on ``root`` as a child process; ``args`` are extra options.

    ``python`` is the interpreter command (default: ``$FMTC_NB_DEVICE_PYTHON`` split like a shell would, else
    this interpreter); the phone-conditions tests set it to an interpreter carrying the APK's packages, run
    with ``-OO``.
    """

    def __init__(self, root: str | os.PathLike[str], port: int = 0, args: tuple[str, ...] = (),
                 python: tuple[str, ...] | None = None) -> None:
        self.root = Path(root)
        self.port = port
        self.args = tuple(args)
        self.python = tuple(python) if python else device_python()
        self.process: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}

    @property
    def url(self) -> str:
        """The device's API URL."""
        return str(self.info["url"])

    @property
    def log_path(self) -> Path:
        """The device's stderr (warnings and tracebacks of internal errors)."""
        return self.root / "bridge" / "stderr.log"

    @property
    def code(self) -> str | None:
        """The pairing code the device shows now (read from its screen)."""
        return self.screen().get("pairing_code")

    def screen(self) -> dict[str, Any]:
        """What the phone shows: foreground state, notification, wake lock, pairing code."""
        return read_screen(self.root / "bridge")

    def change_settings(self, **changes: Any) -> dict[str, Any]:
        """Change the virtual phone's settings (``sdk_int``, ``app_visible``, ``battery_optimisation_ignored``
        ...) as its user would; a running device reads them at its next call. Returns the settings written."""
        state = self.root / "bridge"
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = state / SETTINGS_FILE
        try:
            current = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            current = {}
        settings = {**(current if isinstance(current, dict) else {}), **changes}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
            json.dump(settings, f)
        os.replace(tmp, path)
        return settings

    def start(self) -> VirtualDeviceProcess:
        """Start the device and wait for its first line (URL, code, resumed jobs); nothing if it runs."""
        if self.process is not None and self.process.poll() is None:
            return self
        cmd = [*self.python, "-m", "android_bridge", "--virtual", "--root", str(self.root),
               "--port", str(self.port), *self.args]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:  # a file, not a pipe: a chatty child never blocks on it
            self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("{"):
            self.process.kill()
            self.process.wait(10)
            raise RuntimeError(f"the virtual device did not start: {self.log_path.read_text()[-2000:]}")
        self.info = json.loads(line)
        # a device whose owner forgets it (a notebook kernel that ends) is stopped, never left behind
        weakref.finalize(self, _terminate, self.process)
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def kill(self) -> None:
        """SIGKILL the device (on Windows: TerminateProcess); no chance to flush or checkpoint beyond what
        it already wrote."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def freeze(self) -> None:
        """SIGSTOP the device: it runs nothing (no download, no heartbeat, no answer) until :meth:`thaw`, like
        a phone whose CPU sleeps. POSIX only."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT: a frozen device runs again (nothing if it runs). POSIX only."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM: running jobs are left paused and resumable; returns the exit code. (Windows has no SIGTERM
        to send: there it ends the process like :meth:`kill`, and its jobs resume on the next start.)"""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            if hasattr(signal, "SIGCONT"):  # a frozen device gets its SIGTERM only once it runs again
                self.process.send_signal(signal.SIGCONT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode

    def restart(self) -> VirtualDeviceProcess:
        """Start again on the same root and port (after :meth:`kill` or :meth:`stop`)."""
        self.stop()
        return self.start()

    def __enter__(self) -> VirtualDeviceProcess:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def device_python() -> tuple[str, ...]:
    """The command that runs a virtual device: ``$FMTC_NB_DEVICE_PYTHON`` (e.g. ``.venv-phone/bin/python -OO``)
    or this interpreter."""
    return tuple(shlex.split(os.environ.get("FMTC_NB_DEVICE_PYTHON", ""))) or (sys.executable,)


def _terminate(process: subprocess.Popen[str]) -> None:
    """SIGTERM a device process still running, then SIGKILL it if it does not end within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
