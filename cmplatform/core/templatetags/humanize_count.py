"""Template tags for capped counts."""

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def result_count_label(changelist: Any) -> str:
    """``"10,000+"`` when the paginator stopped counting at its cap, else the exact count."""
    count = f"{changelist.result_count:,}"
    return f"{count}+" if getattr(changelist.paginator, "is_capped", False) else count
