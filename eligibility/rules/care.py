"""特困 care tier from the six daily-living items (DOMAIN §4, §8).

Items: eating, dressing, getting in/out of bed, toileting, walking indoors, bathing.
0 not capable → ``self_care``; 1–3 → ``partial`` (半失能/半护理); 4–6 → ``full`` (全失能/全护理).
"""

from __future__ import annotations

CARE_TIER_LABELS: dict[str, str] = {"self_care": "生活自理", "partial": "半护理", "full": "全护理"}
CARE_MODE_LABELS: dict[str, str] = {"home": "分散供养", "institutional": "集中供养"}


def care_tier(adl_incapable: int) -> str:
    if not 0 <= adl_incapable <= 6:
        raise ValueError(f"adl_incapable must be 0–6: {adl_incapable!r}")
    if adl_incapable == 0:
        return "self_care"
    if adl_incapable <= 3:
        return "partial"
    return "full"
