"""Errors raised by the signing stage.

Every message names the file and the problem so an officer (or the lead reading a log) can act without a
traceback. Passwords never appear in any message.
"""

from __future__ import annotations

from sohoa.errors import BadInputError, SohoaError


class SigningError(SohoaError):
    """Signing or loading a signing identity failed; the message names the file and the problem."""


class SaidInTwoLanguages(SigningError):
    """A signing error that carries its words in each language, whole: ``problem`` (English) and ``vietnamese``,
    both without the file (the pipeline names the scan itself, not its work copy); the message, ``str(error)``, is
    what a command prints. The pipeline gives an officer each half in its own language (``reason_vi`` /
    ``reason_en``); the other signing errors have one text (English, or both joined by " / ")."""

    def __init__(self, message: str, problem: str = "", vietnamese: str = "") -> None:
        super().__init__(message)
        self.problem = problem or message
        self.vietnamese = vietnamese or self.problem

    def __reduce__(self) -> tuple[type[SaidInTwoLanguages], tuple[str, str, str]]:
        # rebuilt from all its fields: it crosses processes (Dask workers, Prefect results)
        return type(self), (str(self), self.problem, self.vietnamese)


class SigningConfigError(SigningError):
    """The signing identity is misconfigured (unknown kind, missing PKCS#12, wrong password, expired cert)."""


class AppearanceOrderError(SaidInTwoLanguages, SigningConfigError):
    """The appearance asked for cannot come at this point of the document's signatures (Decree 30: the seal is
    laid over the signer's signature, so ``seal`` needs a ``signer`` signature first): the way the command was
    used, not the machine. A ``SigningConfigError`` still for the pipeline (a batch refuses
    SOHOA_SIGNATURE_APPEARANCE=seal before it starts: flows.pipeline.batch_settings_problem); `sohoa sign` makes
    it a usage error (exit 2). Said in both languages (``SaidInTwoLanguages``)."""


class SigningInputError(BadInputError, SigningError):
    """The PDF to sign is itself unusable (not a PDF, damaged, encrypted).

    It is both a ``SigningError`` (callers of the signing stage catch that) and a ``BadInputError`` (the
    orchestrator quarantines those instead of retrying).
    """


class SigningServiceError(SaidInTwoLanguages):
    """A service the signature needs (TSA, OCSP responder, CRL server) could not be reached or answered badly.

    A fault outside the input: the same document signs once the service is back. ``problem``: the message
    without the file (the pipeline names the scan itself, not its work copy), ``vietnamese``: the same in
    Vietnamese, for the officer's report.
    """


class SigningTokenError(SigningServiceError):
    """The PKCS#11 token failed while signing (unplugged, its reader reset, re-initialised): a fault outside the
    input, like a service that does not answer — the same document signs once the token is back. The identity that
    used it is dead: the caller drops it and loads it again (a new login) for the next document."""

    @classmethod
    def unreachable(cls, token: str, why: str, subject: str = "") -> SigningTokenError:
        """The token is out of reach (``why``: what it answered, or that it is no longer listed); ``subject``, the
        file being signed, heads the message (not the problem: the pipeline names the scan itself)."""
        token = token or "PKCS#11"
        english = (
            f"the token {token} is not reachable (removed?) ({why}) — the scan is left for the rerun; put the token "
            "back and run again"
        )
        vietnamese = (
            f"không truy cập được thẻ ký số {token} (đã bị rút ra?) ({why}) — tệp quét được giữ lại để chạy lại; "
            "cắm lại thẻ rồi chạy lại"
        )
        return cls(f"{subject}: {english}" if subject else english, english, vietnamese)
