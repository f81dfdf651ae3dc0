"""Whether a recorded medication counts as current on the check date."""

from __future__ import annotations

from datetime import date, timedelta

from rxsafe.core.enums import MedicationWindowStatus
from rxsafe.core.models import Medication


def medication_window(med: Medication, as_of: date, lookback_days: int) -> tuple[MedicationWindowStatus, date | None]:
    """The medication's status on ``as_of`` and the last day it covers (None when unknown).

    A medication with no dates is assumed active: missing data must never hide an interaction.

    >>> m = Medication(id="m1", text="Warfarin 5mg", start_date=date(2026, 11, 1), days=30)
    >>> medication_window(m, date(2026, 11, 26), 60)
    (<MedicationWindowStatus.ACTIVE: 'active'>, datetime.date(2026, 11, 30))
    """
    end = med.end_date
    if end is None and med.start_date is not None and med.days:
        end = med.start_date + timedelta(days=med.days - 1)
    if med.start_date is None and end is None:
        return MedicationWindowStatus.ASSUMED_ACTIVE, None
    if med.start_date is not None and med.start_date > as_of:
        return MedicationWindowStatus.FUTURE, end
    if end is None:
        # Started, with no duration recorded: still taken as far as anyone knows.
        return MedicationWindowStatus.ASSUMED_ACTIVE, None
    if as_of <= end:
        return MedicationWindowStatus.ACTIVE, end
    if as_of <= end + timedelta(days=lookback_days):
        return MedicationWindowStatus.RECENT, end
    return MedicationWindowStatus.ENDED, end


COUNTED_WINDOWS = frozenset(
    {MedicationWindowStatus.ACTIVE, MedicationWindowStatus.RECENT, MedicationWindowStatus.ASSUMED_ACTIVE}
)
"""Window states whose medications are checked against the new prescription."""
