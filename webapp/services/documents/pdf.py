"""PDF from DOCX with LibreOffice headless, when it is installed (`make run` works without it).

Each conversion runs in a subprocess with a timeout, its own throw-away profile directory (two
conversions never share or lock a profile), without network (its own network namespace where
the machine allows it; never the web process's environment), and a bound on the size of what
it writes. A background conversion (the job queue's) runs at a lower CPU priority, so that the
requests people wait for keep the processor.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from webapp.services.errors import ConflictError

TIMEOUT_SECONDS = 90
MAX_PDF_BYTES = 30 * 1024 * 1024
PDF_MIME = "application/pdf"
# A background conversion's niceness: on a busy machine it gets about a tenth of a core.
BACKGROUND_NICENESS = 10
# Only what LibreOffice needs to start; the web process's own variables (secrets, proxies) stay out.
_KEPT_ENV = ("PATH", "LANG", "LC_ALL", "TZ")


@lru_cache(maxsize=1)
def _offline_prefix() -> tuple[str, ...]:
    """`unshare -rn` (a network namespace of its own, so no network at all) when this machine
    allows it; a template's linked picture then cannot make LibreOffice fetch a URL."""
    program = shutil.which("unshare")
    if program is None:
        return ()
    try:
        done = subprocess.run(  # noqa: S603 (fixed program and arguments)
            [program, "-rn", "true"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return (program, "-rn") if done.returncode == 0 else ()


@lru_cache(maxsize=1)
def _background_prefix() -> tuple[str, ...]:
    """`nice -n 10` when the machine has `nice` (coreutils)."""
    program = shutil.which("nice")
    return (program, "-n", str(BACKGROUND_NICENESS)) if program else ()


def converter() -> str | None:
    """The LibreOffice program to call, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    """Whether PDFs can be made on this machine."""
    return converter() is not None


def docx_to_pdf(
    docx: bytes, *, timeout: float = TIMEOUT_SECONDS, background: bool = False
) -> bytes:
    """The PDF of a DOCX; ConflictError (code "no_pdf") when LibreOffice is missing, fails,
    runs past the timeout or writes a PDF that is too large. `background`: nobody waits for
    it, so it runs at a lower priority than the web requests."""
    program = converter()
    if program is None:
        raise ConflictError("LibreOffice is not installed", code="no_pdf")
    with tempfile.TemporaryDirectory(prefix="award-doc-") as work:
        base = Path(work)
        source = base / "document.docx"
        source.write_bytes(docx)
        profile = base / "profile"
        env = {k: v for k, v in os.environ.items() if k in _KEPT_ENV}
        env["HOME"] = str(base)
        command = [
            *(_background_prefix() if background else ()),
            *_offline_prefix(),
            program,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(base),
            str(source),
        ]
        try:
            subprocess.run(  # noqa: S603 (fixed program, our own temp paths)
                command,
                env=env,
                cwd=base,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ConflictError("LibreOffice took too long", code="no_pdf") from exc
        target = base / "document.pdf"
        if not target.is_file():
            raise ConflictError("LibreOffice made no PDF", code="no_pdf")
        if target.stat().st_size > MAX_PDF_BYTES:
            raise ConflictError("the PDF is too large", code="no_pdf")
        return target.read_bytes()
