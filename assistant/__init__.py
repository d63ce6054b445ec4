"""Question answering over news articles, with exact-span citations.

``from assistant import Assistant``; heavy modules load on first use, so importing the
package (and ``assistant --help``) stays fast.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.errors import AssistantError
from assistant.types import Answer, ArticleInfo, Citation

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.engine import Assistant

__all__ = ["Answer", "ArticleInfo", "Assistant", "AssistantError", "Citation", "Settings"]


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from assistant.engine import Assistant

        return Assistant
    if name == "Settings":
        from assistant.config import Settings

        return Settings
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
