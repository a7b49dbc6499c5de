"""The verdict vocabulary of the book, below every layer that decides a check.

A check passes (*reproduced*) or fails with the verdict it declares (*not reproduced* or *contradicted*), or
cannot be decided at the run's scale (*not tested*); a paper claim's verdict follows from its checks
(``lib.pipeline.claims.claim_verdict``). The studies build their checks (:class:`Check`) with these words, the
pipeline records them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REPRODUCED = "reproduced"
IN_SHAPE = "reproduced in shape, not in level"
NOT_REPRODUCED = "not reproduced"
CONTRADICTED = "contradicted"
NOT_TESTED = "not tested"
VERDICTS = (REPRODUCED, IN_SHAPE, NOT_REPRODUCED, CONTRADICTED, NOT_TESTED)
# What a check tests: a statement (of the paper, or ours), the shape of a result (a trend, a flatness), or its
# level (a number the paper prints, within a band derived from our scatter).
ASPECTS = ("statement", "shape", "level")
ON_FAIL = (NOT_REPRODUCED, CONTRADICTED)


@dataclass(frozen=True)
class Check:
    """One check decided from measured numbers, ready for ``Registry.check(**check.record)``.

    ``asserted``: the chapter's own numbers need it (the chapter asserts it); otherwise it is a finding about the
    paper's statement, recorded with its verdict."""

    id: str
    passed: bool
    statement: str
    measured: Any
    tolerance: str
    paper_claim: str | None = None
    aspect: str = "statement"
    on_fail: str = NOT_REPRODUCED
    tested: bool = True
    asserted: bool = False
    section: str | None = None     # the paper's section when it is not the chapter's (None: the chapter's)

    @property
    def verdict(self) -> str:
        if not self.tested:
            return NOT_TESTED
        return REPRODUCED if self.passed else self.on_fail

    @property
    def record(self) -> dict:
        """The keyword arguments of ``lib.pipeline.claims.Registry.check``."""
        return dict(id=self.id, passed=bool(self.passed), statement=self.statement, measured=self.measured,
                    tolerance=self.tolerance, paper_claim=self.paper_claim, section=self.section, aspect=self.aspect,
                    on_fail=self.on_fail, tested=bool(self.tested))
